package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

func requestsWithToken(sim *githubsim.Server, token string) []githubsim.RequestRecord {
	var out []githubsim.RequestRecord
	for _, r := range sim.Requests() {
		if r.Token == token {
			out = append(out, r)
		}
	}
	return out
}

// A bad token stalls the pipeline with a message that says what to fix, and the operator does not keep
// hammering GitHub with it.
func TestBadTokenStallsWithoutRetryStorm(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	const bad = "ghp_revoked000000000000000000000000000000"
	tokenSecret(t, ns, bad)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.AuthenticationFailedReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring("credentials Secret"))
	g.Expect(condition(got, civ1alpha1.ReconcilingCondition).Status).To(BeEmpty())
	g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))

	first := len(requestsWithToken(sim, bad))
	g.Consistently(func() int { return len(requestsWithToken(sim, bad)) }).
		WithTimeout(3*time.Second).WithPolling(200*time.Millisecond).Should(Equal(first), "the operator retried a refused token")
	g.Expect(first).To(BeNumerically("<=", 2))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).Should(ContainElement(HavePrefix("Warning AuthenticationFailed")))

	// Fixing the Secret is enough: the Secret watch brings the pipeline back.
	secret := &corev1.Secret{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "github"}, secret)).To(Succeed())
	secret.Data = map[string][]byte{"token": []byte(testToken)}
	g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
	got = waitReady(t, key)
	g.Expect(condition(got, civ1alpha1.StalledCondition).Status).To(BeEmpty())
}

func TestMissingCredentialsSecretStallsUntilCreated(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.CredentialsSecretNotFoundReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring(ns + "/github"))
	g.Expect(sim.Requests()).To(BeEmpty())

	tokenSecret(t, ns, testToken)
	waitReady(t, key)
}

func TestIncompleteAppCredentialsNameTheMissingKeys(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"},
		StringData: map[string]string{"appID": "12", "privateKey": "-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----"}})
	p := pipeline(ns, "web", sim)
	create(t, p)
	got := waitFor(t, client.ObjectKeyFromObject(p), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.InvalidCredentialsReason)
	msg := condition(got, civ1alpha1.ReadyCondition).Message
	g.Expect(msg).To(ContainSubstring("missing installationID"))
	g.Expect(msg).NotTo(ContainSubstring("secret\n"))
}

func TestUnknownRepositoryStalls(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	p.Spec.Repository.Name = "does-not-exist"
	create(t, p)
	got := waitFor(t, client.ObjectKeyFromObject(p), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryNotFoundReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring("acme/does-not-exist"))
}

// An unknown reviewer stalls the environments only: the rest of the pipeline is still enforced.
func TestUnknownReviewerStallsEnvironments(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	p.Spec.Environments[1].Reviewers = []civ1alpha1.Reviewer{{User: "mallory"}}
	create(t, p)
	got := waitFor(t, client.ObjectKeyFromObject(p), civ1alpha1.EnvironmentsReadyCondition, metav1.ConditionFalse, civ1alpha1.ReviewerNotFoundReason)
	g.Expect(condition(got, civ1alpha1.EnvironmentsReadyCondition).Message).To(ContainSubstring(`user "mallory"`))
	g.Expect(condition(got, civ1alpha1.EnvironmentsReadyCondition).Message).To(ContainSubstring("spec.environments[1].reviewers[0]"))
	g.Expect(condition(got, civ1alpha1.StalledCondition).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	// DCO comes after the environments and is enforced all the same.
	g.Eventually(func() []githubsim.RulesetState { return sim.Rulesets("acme", "web") }).ShouldNot(BeEmpty())
	_, created := sim.Environment("acme", "web", "production")
	g.Expect(created).To(BeFalse(), "an environment was created without its reviewers")
}

// A burst of 502s is retried with backoff; Ready does not flip on the first blip, and the pipeline ends Ready.
func TestBadGatewayBurstIsRetried(t *testing.T) {
	g := NewWithT(t)
	sim, _, key := readyPipeline(t, nil)

	sim.SetFault("GET /repos/{owner}/{repo}", githubsim.Fault{Status: 502, Count: 2})
	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Annotations = map[string]string{civ1alpha1.ReconcileRequestAnnotation: "blip"}
	})

	// While the 502s last, Ready stays True and Reconciling says why.
	g.Eventually(func() string {
		return condition(get(t, key), civ1alpha1.ReconcilingCondition).Reason
	}).WithTimeout(timeout).WithPolling(20 * time.Millisecond).Should(Equal(civ1alpha1.GitHubUnavailableReason))
	g.Expect(condition(get(t, key), civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))

	g.Eventually(func() string { return get(t, key).Status.LastHandledReconcileAt }).WithTimeout(timeout).Should(Equal("blip"))
	got := waitReady(t, key)
	g.Expect(condition(got, civ1alpha1.ReconcilingCondition).Status).To(BeEmpty())
	var bad int
	for _, r := range sim.Requests() {
		if r.Status == 502 {
			bad++
		}
	}
	g.Expect(bad).To(Equal(2))
}

// A secondary rate limit with retry-after: 5 holds every request with that token until it ends.
func TestSecondaryRateLimitIsHonoured(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	sim.SetFault("GET /repos/{owner}/{repo}", githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 5, Count: 1})
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, civ1alpha1.RateLimitedReason)
	g.Expect(condition(got, civ1alpha1.StalledCondition).Status).To(BeEmpty())
	waitReady(t, key)

	reqs := requestsWithToken(sim, testToken)
	g.Expect(reqs[0].Status).To(Equal(403))
	limited := reqs[0].Time
	for _, r := range reqs[1:] {
		g.Expect(r.Time.Sub(limited)).To(BeNumerically(">=", 5*time.Second-100*time.Millisecond),
			"%s %s was sent %s after the secondary rate limit, before retry-after ended", r.Method, r.Path, r.Time.Sub(limited))
	}
}

// spec.suspend stops all GitHub calls; drift stays until the pipeline is resumed.
func TestSuspendStopsGitHubCalls(t *testing.T) {
	g := NewWithT(t)
	sim, _, key := readyPipeline(t, nil)

	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Suspend = true
	})
	waitFor(t, key, civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SuspendedReason)

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	sim.ResetRequests()
	requestResync(t, key)
	g.Expect(sim.Requests()).To(BeEmpty())
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(BeEmpty())

	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Suspend = false
	})
	waitReady(t, key)
	prod, _ = sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
}

// Two pipelines name the same repository: the older one owns it, the other is Stalled and writes nothing,
// and takes over when the owner is deleted.
func TestTwoPipelinesOnOneRepository(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	nsA, nsB := newNamespace(t), newNamespace(t)
	tokenSecret(t, nsA, testToken)
	tokenSecret(t, nsB, testToken)
	first := pipeline(nsA, "web", sim)
	create(t, first)
	firstReady := waitReady(t, client.ObjectKeyFromObject(first))
	// Creation timestamps have a resolution of one second, and ties go by (random) UID: make sure
	// the second pipeline is younger.
	time.Sleep(time.Until(firstReady.CreationTimestamp.Add(time.Second)))

	second := pipeline(nsB, "web-too", sim)
	second.Spec.Environments = append(second.Spec.Environments, civ1alpha1.Environment{Name: "staging"})
	create(t, second)
	got := waitFor(t, client.ObjectKeyFromObject(second), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryConflictReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring(nsA + "/web"))
	g.Expect(sim.EnvironmentNames("acme", "web")).NotTo(ContainElement("staging"))

	deletePipeline(t, client.ObjectKeyFromObject(first))
	waitReady(t, client.ObjectKeyFromObject(second))
	g.Expect(sim.EnvironmentNames("acme", "web")).To(ContainElement("staging"))
}

// deletionPolicy Delete removes what the pipeline created and nothing else; Orphan leaves GitHub alone.
func TestDeletionPolicies(t *testing.T) {
	for _, policy := range []civ1alpha1.DeletionPolicy{civ1alpha1.DeletionPolicyDelete, civ1alpha1.DeletionPolicyOrphan} {
		t.Run(string(policy), func(t *testing.T) {
			g := NewWithT(t)
			sim := newSim(t)
			ns := newNamespace(t)
			tokenSecret(t, ns, testToken)
			// A human created "production" before the operator came, and a ruleset of their own.
			sim.UpdateEnvironment("acme", "web", "production", func(*githubsim.EnvironmentState) {})
			p := pipeline(ns, "web", sim)
			p.Spec.DeletionPolicy = policy
			create(t, p)
			key := client.ObjectKeyFromObject(p)
			got := waitReady(t, key)
			g.Expect(got.Status.Environments).To(ContainElement(SatisfyAll(HaveField("Name", "production"), HaveField("CreatedByOperator", false))))

			deletePipeline(t, key)
			envs := sim.EnvironmentNames("acme", "web")
			g.Expect(envs).To(ContainElement("production"), "an environment the operator did not create was deleted")
			if policy == civ1alpha1.DeletionPolicyDelete {
				g.Expect(envs).NotTo(ContainElement("ci"))
				g.Expect(sim.Rulesets("acme", "web")).To(BeEmpty())
			} else {
				g.Expect(envs).To(ContainElement("ci"))
				g.Expect(sim.Rulesets("acme", "web")).To(HaveLen(1))
			}
		})
	}
}

// Deletion does not hang when GitHub is gone: after a bounded number of attempts it lets go and says why.
func TestDeletionLetsGoWhenGitHubIsDown(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	p.Spec.DeletionPolicy = civ1alpha1.DeletionPolicyDelete
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	sim.SetFault("*", githubsim.Fault{Status: 503})
	g.Expect(k8s.Delete(context.Background(), get(t, key))).To(Succeed())
	g.Eventually(func() error {
		return k8s.Get(context.Background(), key, &civ1alpha1.SecurePipeline{})
	}).WithTimeout(2 * timeout).WithPolling(poll).ShouldNot(Succeed())
	g.Expect(eventsFor(t, ns, "web")).To(ContainElement(SatisfyAll(
		HavePrefix("Warning CleanupAbandoned"), ContainSubstring("by hand"))))
	g.Expect(strings.Join(eventsFor(t, ns, "web"), "\n")).To(ContainSubstring("CleanupFailed"))
}
