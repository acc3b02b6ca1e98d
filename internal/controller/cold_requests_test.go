package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// A new pipeline does not read what GitHub cannot have yet: the deployment branch policies of an
// environment it has just created, or the secrets of an environment before the first push there (a first
// push happens whatever is there). The secrets it lists are the read-backs of its own pushes (GitHub's
// updated_at, which later drift checks compare with).
func TestColdPipelineSkipsReadsItsWritesAnswer(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "pass")
	basicAuthSecret(t, ns, "prod-creds", "deployer", "secret")
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds"), prodRegistry("prod-creds")}
	createPipeline(t, p)
	waitReady(t, client.ObjectKeyFromObject(p))

	counts := map[string]int{}
	for _, r := range sim.Requests() {
		counts[r.Route]++
	}
	t.Logf("a cold pipeline's requests: %v", counts)
	g.Expect(counts).NotTo(HaveKey(ContainSubstring("GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies")))
	g.Expect(counts).To(HaveKeyWithValue("POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies", 2))
	g.Expect(counts).To(HaveKeyWithValue("GET /repositories/{repository_id}/environments/{environment_name}/secrets", 2),
		"one read-back per push, no listing before the first")
	g.Expect(counts).To(HaveKeyWithValue("PUT /repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}", 4))
	g.Expect(sim.SecretNames("acme", "web", "production")).To(ConsistOf("PROD_REGISTRY_USERNAME", "PROD_REGISTRY_PASSWORD"))

	// Once pushed, the next resync lists (to see drift) and finds the pushes in place.
	sim.ResetRequests()
	requestResync(t, client.ObjectKeyFromObject(p))
	g.Expect(writes(sim.Requests())).To(BeEmpty())
	g.Expect(sim.Requests()).To(ContainElement(SatisfyAll(
		HaveField("Route", "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"))))
}
