package controller_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// annotate sets an annotation on a pipeline, without waiting for what follows.
func annotate(t *testing.T, key client.ObjectKey, name, value string) {
	t.Helper()
	p := get(t, key)
	patch := client.MergeFrom(p.DeepCopy())
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[name] = value
	NewWithT(t).Expect(k8s.Patch(context.Background(), p, patch)).To(Succeed())
}

// routesOf lists the routes of a request log, in order.
func routesOf(reqs []githubsim.RequestRecord) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Route)
	}
	return out
}

// A rotation reads on GitHub only what the push needs: the repository (the proof of access every run
// makes), the environment's public key, the two writes and their read-back. It does not list the secrets
// before the push (due whatever is there), nor re-read the environments, the Actions settings or the DCO
// ruleset, which the last full run read and nothing since changed. The full resync still comes: a
// requested one reads them all.
func TestRotationRunReadsOnlyWhatThePushNeeds(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns, key := readyWithCIRegistry(t, sim, testToken)
	requestResync(t, key)
	before := get(t, key)

	sim.ResetRequests()
	nextSecond() // GitHub's updated_at of the new push is then later than the last one's
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", "second")
	g.Eventually(func() string { return registryStatusOf(get(t, key), "ghcr").Fingerprint }).
		WithTimeout(timeout).WithPolling(poll).ShouldNot(Equal(registryStatusOf(before, "ghcr").Fingerprint))

	routes := routesOf(sim.Requests())
	t.Logf("the rotation's requests: %v", routes)
	g.Expect(routes).To(Equal([]string{
		"GET /repos/{owner}/{repo}",
		"GET /repositories/{repository_id}/environments/{environment_name}/secrets/public-key",
		"PUT /repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
		"PUT /repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
		"GET /repositories/{repository_id}/environments/{environment_name}/secrets",
	}))
	p := get(t, key)
	g.Expect(condition(p, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(condition(p, civ1alpha1.CredentialsReadyCondition).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(registryStatusOf(p, "ghcr").LastPushTime.After(registryStatusOf(before, "ghcr").LastPushTime.Time)).To(BeTrue())

	// A requested reconcile is a full one: every concern reads GitHub again.
	sim.ResetRequests()
	requestResync(t, key)
	routes = routesOf(sim.Requests())
	for _, want := range []string{
		"GET /repos/{owner}/{repo}/environments/{environment_name}",
		"GET /repos/{owner}/{repo}/actions/permissions",
		"GET /repos/{owner}/{repo}/rulesets/{ruleset_id}",
		"GET /repositories/{repository_id}/environments/{environment_name}/secrets",
	} {
		g.Expect(routes).To(ContainElement(want))
	}
	g.Expect(writes(sim.Requests())).To(BeEmpty())
}

// A human removes production's reviewers on GitHub and the production credential rotates before the next
// resync: the credentials-only run still restores the gate before it pushes, as a full run does.
func TestRotationRunRestoresTheGateBeforeThePush(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns, key := readyWithProdRegistry(t, sim)
	requestResync(t, key)

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	sim.ResetRequests()
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)

	reqs := sim.Requests()
	restore := slices.IndexFunc(reqs, func(r githubsim.RequestRecord) bool {
		return r.Method == "PUT" && r.Route == "PUT /repos/{owner}/{repo}/environments/{environment_name}" && strings.HasSuffix(r.Path, "/production")
	})
	push := putIndex(reqs, "/secrets/{secret_name}", "PROD_REGISTRY_PASSWORD")
	g.Expect(restore).To(BeNumerically(">=", 0), "the gate was not restored: %v", routesOf(reqs))
	g.Expect(push).To(BeNumerically(">", restore), "the credential went out before the gate was back: %v", routesOf(reqs))
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
	g.Expect(routesOf(reqs)).NotTo(ContainElement("GET /repos/{owner}/{repo}/actions/permissions"),
		"a credentials-only run: only the push and its guard")
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		"Warning EnvironmentRestored: environment production of acme/web has no required reviewers on GitHub, so it was restored to the spec (2 required reviewer(s)) before pushing the production credential of registry prod-registry"))
}

// The environment a rotation goes to was deleted on GitHub since the last resync: the credentials-only
// run cannot push, and the full run that follows at once (not a sync period later) recreates the
// environment and pushes.
func TestRotationIntoADeletedEnvironmentIsMendedAtOnce(t *testing.T) {
	sim := newSim(t)
	ns, key := readyWithCIRegistry(t, sim, testToken)
	requestResync(t, key)

	sim.DeleteEnvironment("acme", "web", "ci")
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_USERNAME", "bot")
	waitReady(t, key)
}
