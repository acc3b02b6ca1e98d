package controller_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestUnchangedResyncWritesNoStatus: a resync that finds GitHub as the spec says reads GitHub (all
// conditional) but writes nothing to the API server, so a large fleet's resyncs cost it nothing.
func TestUnchangedResyncWritesNoStatus(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim, ns, key := readyPipeline(t, nil)
	before := get(t, key)

	// Touching the credentials Secret's metadata makes the operator resync the pipeline.
	sim.ResetRequests()
	secret := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "github"}, secret)).To(Succeed())
	patch := client.MergeFrom(secret.DeepCopy())
	secret.Labels = map[string]string{"touched": "yes"}
	g.Expect(k8s.Patch(ctx, secret, patch)).To(Succeed())
	g.Eventually(func() int { return len(sim.Requests()) }).WithTimeout(timeout).Should(BeNumerically(">=", 5))
	g.Expect(writes(sim.Requests())).To(BeEmpty())
	g.Consistently(func() string { return get(t, key).ResourceVersion }).WithTimeout(2*time.Second).
		Should(Equal(before.ResourceVersion), "the resync rewrote an unchanged status")
	g.Expect(get(t, key).Status.LastSyncTime).To(Equal(before.Status.LastSyncTime))
}
