package controller_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// An unchanged resync reads no Secret from the API server; a Secret whose version moved is read at once,
// and so is one whose credential must be pushed again for another reason (deleted on GitHub), since its
// value is needed. A touched GitHub credentials Secret (same token) is read again, and the registry's
// too, since the fingerprint key derives from the credentials; nothing is pushed for it.
func TestUnchangedResyncReadsNoSecret(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim := newSim(t)
	ns, key := readyWithCIRegistry(t, sim, testToken)
	ghKey, regKey := client.ObjectKey{Namespace: ns, Name: "github"}, client.ObjectKey{Namespace: ns, Name: "ghcr-creds"}
	reads := func() [2]int { return [2]int{env.SecretReads(ghKey), env.SecretReads(regKey)} }

	// The first resync after creation may still read (the informer delivers the operator's view of the
	// Secrets in its own time); from then on, nothing.
	requestResync(t, key)
	before := reads()
	sim.ResetRequests()
	requestResync(t, key)
	requestResync(t, key)
	g.Expect(reads()).To(Equal(before), "an unchanged resync read a Secret (github, registry)")
	g.Expect(writes(sim.Requests())).To(BeEmpty())

	// A rotation: read at once (through the Secret watch) and pushed.
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", "second")
	g.Expect(env.SecretReads(regKey)).To(BeNumerically(">", before[1]))

	// Deleted on GitHub: the remembered fingerprint says nothing of the value, so the Secret is read.
	requestResync(t, key)
	before = reads()
	sim.DeleteSecret("acme", "web", "ci", "GHCR_PASSWORD")
	requestResync(t, key)
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal("second"))
	g.Expect(env.SecretReads(regKey)).To(Equal(before[1]+1), "the registry Secret is read for its value")

	// A touched credentials Secret (a label; same token): both are read again, nothing is pushed.
	requestResync(t, key)
	before = reads()
	gh := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, ghKey, gh)).To(Succeed())
	gh.Labels = map[string]string{"touched": "yes"}
	g.Expect(k8s.Update(ctx, gh)).To(Succeed())
	sim.ResetRequests()
	g.Eventually(func() bool {
		now := reads()
		return now[0] > before[0] && now[1] > before[1]
	}).WithTimeout(timeout).WithPolling(poll).Should(BeTrue(), "a moved credentials Secret is read again, and the registry's with it")
	requestResync(t, key)
	g.Expect(writes(sim.Requests())).To(BeEmpty(), "a touched Secret with the same token pushes nothing")
}
