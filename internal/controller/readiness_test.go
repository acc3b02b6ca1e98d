package controller_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// Readiness tells the truth, and concerns fail alone.

// statusHistory records every version of a pipeline's status, as `kubectl get -w` would show them.
type statusHistory struct {
	mu       sync.Mutex
	versions []civ1alpha1.SecurePipelineStatus
}

func watchStatus(t *testing.T, key client.ObjectKey) *statusHistory {
	t.Helper()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	w, err := wc.Watch(context.Background(), &civ1alpha1.SecurePipelineList{}, client.InNamespace(key.Namespace))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	h := &statusHistory{}
	go func() {
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*civ1alpha1.SecurePipeline); ok && p.Name == key.Name {
				h.mu.Lock()
				h.versions = append(h.versions, *p.Status.DeepCopy())
				h.mu.Unlock()
			}
		}
	}()
	t.Cleanup(w.Stop)
	return h
}

func (h *statusHistory) all() []civ1alpha1.SecurePipelineStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]civ1alpha1.SecurePipelineStatus(nil), h.versions...)
}

func statusOf(st civ1alpha1.SecurePipelineStatus, t string) metav1.ConditionStatus {
	if c := apimeta.FindStatusCondition(st.Conditions, t); c != nil {
		return c.Status
	}
	return ""
}

// While restoring a production environment's reviewers fails, neither Ready nor EnvironmentsReady is True
// in any status written after the failure, not even during the grace a transient failure otherwise gets.
func TestReadyIsNeverTrueWhileTheProductionGateIsBroken(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	_, key := readyWithProdRegistry(t, sim)

	history := watchStatus(t, key)
	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	sim.SetFault("PUT /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: 502})
	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Annotations = map[string]string{civ1alpha1.ReconcileRequestAnnotation: "gate-broken"}
	})
	got := waitFor(t, key, civ1alpha1.EnvironmentsReadyCondition, metav1.ConditionFalse, civ1alpha1.EnvironmentNotGatedReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(got, civ1alpha1.EnvironmentsReadyCondition).Message).To(ContainSubstring("may not be gated on GitHub"))

	failed := false
	for _, st := range history.all() {
		// Reconciling was gone while Ready; it is back only for an attempt that failed (and is retried).
		if statusOf(st, civ1alpha1.ReconcilingCondition) == metav1.ConditionTrue {
			failed = true
		}
		if failed {
			g.Expect(statusOf(st, civ1alpha1.ReadyCondition)).NotTo(Equal(metav1.ConditionTrue), "Ready stayed True while the gate was broken: %v", st.Conditions)
			g.Expect(statusOf(st, civ1alpha1.EnvironmentsReadyCondition)).NotTo(Equal(metav1.ConditionTrue))
		}
	}
	g.Expect(failed).To(BeTrue(), "no failed attempt was recorded")

	sim.ClearFaults()
	waitReady(t, key)
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
}

// After the GitHub token is revoked, no concern condition stays True: none of them could make its attempt.
func TestConcernConditionsFallWhenTheTokenIsRevoked(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", randomValue("v1"))
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	sim.RevokeToken(testToken)
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", randomValue("v2"))
	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.AuthenticationFailedReason)
	for _, c := range []string{civ1alpha1.CredentialsReadyCondition, civ1alpha1.EnvironmentsReadyCondition, civ1alpha1.RepositorySettingsReadyCondition, civ1alpha1.DCOEnforcedCondition} {
		g.Expect(condition(got, c).Status).To(Equal(metav1.ConditionFalse), "%s stayed %s", c, condition(got, c).Status)
		g.Expect(condition(got, c).Reason).To(Equal(civ1alpha1.AuthenticationFailedReason))
	}

	// A working token again: every concern's condition recovers, the workflow audit's too, although its
	// last audit is fresh in the operator's memory (it must not stand for a condition a failure replaced).
	const renewed = "ghp_renewedTokenAfterTheRevocation000001"
	sim.AddToken(renewed, "acme/web")
	secret := &corev1.Secret{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "github"}, secret)).To(Succeed())
	secret.Data = map[string][]byte{"token": []byte(renewed)}
	g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
	got = waitReady(t, key)
	g.Expect(condition(got, civ1alpha1.WorkflowsCompliantCondition).Status).To(Equal(metav1.ConditionTrue))
}

// A concern that keeps failing (the Actions settings answer 502) does not stop the others: a rotated
// production credential still reaches GitHub, and the error says what failed once.
func TestConcernsFailAlone(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns, key := readyWithProdRegistry(t, sim)

	sim.SetFault("GET /repos/{owner}/{repo}/actions/permissions", githubsim.Fault{Status: 502})
	// The failing concern shows first; the pipeline's runs are then full ones (a failure forgets the last
	// clean run, so a rotation is not credentials-only), and the push still goes out in them.
	annotate(t, key, civ1alpha1.ReconcileRequestAnnotation, "settings-fail")
	waitFor(t, key, civ1alpha1.RepositorySettingsReadyCondition, metav1.ConditionFalse, civ1alpha1.GitHubUnavailableReason)
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)

	got := waitFor(t, key, civ1alpha1.RepositorySettingsReadyCondition, metav1.ConditionFalse, civ1alpha1.GitHubUnavailableReason)
	g.Expect(condition(got, civ1alpha1.CredentialsReadyCondition).Status).To(Equal(metav1.ConditionTrue))
	msg := condition(got, civ1alpha1.RepositorySettingsReadyCondition).Message
	g.Expect(msg).To(ContainSubstring("answered 502"))
	g.Expect(doubledPrefix(msg)).To(BeEmpty(), "the error repeats itself: %s", msg)
}

// doubledPrefix returns the first "x: " segment that the message repeats right after itself, or "".
func doubledPrefix(msg string) string {
	parts := strings.Split(msg, ": ")
	for i := 1; i < len(parts); i++ {
		if strings.EqualFold(strings.ReplaceAll(parts[i], `"`, ""), strings.ReplaceAll(parts[i-1], `"`, "")) {
			return parts[i]
		}
	}
	return ""
}

// A repository that cannot be read says so once: "reading repository acme/web: GitHub GET ... answered 502".
func TestRepositoryErrorSaysWhatFailedOnce(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	sim.SetFault("GET /repos/{owner}/{repo}", githubsim.Fault{Status: 502})
	p := pipeline(ns, "web", sim)
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	got := waitFor(t, key, civ1alpha1.ReadyCondition, metav1.ConditionFalse, civ1alpha1.GitHubUnavailableReason)
	msg := condition(got, civ1alpha1.ReadyCondition).Message
	g.Expect(msg).To(HavePrefix("reading repository acme/web: GitHub GET /repos/{owner}/{repo} answered 502"))
	g.Expect(strings.Count(msg, "reading repository")).To(Equal(1), msg)
}

// A password GitHub would refuse for its size (~900 KiB, over 48 KB) is refused before either half of the pair is
// pushed, naming the Kubernetes Secret and spec.registries[i]; the pair on GitHub stays consistent.
func TestOversizedCredentialIsRefusedBeforeAnyPush(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	v1 := randomValue("v1")
	basicAuthSecret(t, ns, "ghcr-creds", "bot", v1)
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	sim.ResetRequests()
	basicAuthSecret(t, ns, "ghcr-creds", "new-bot", strings.Repeat("x", 900<<10))
	got := waitFor(t, key, civ1alpha1.CredentialsReadyCondition, metav1.ConditionFalse, civ1alpha1.CredentialTooLargeReason)
	msg := condition(got, civ1alpha1.CredentialsReadyCondition).Message
	g.Expect(msg).To(ContainSubstring("spec.registries[0]"))
	g.Expect(msg).To(ContainSubstring("Secret " + ns + "/ghcr-creds"))
	g.Expect(msg).To(ContainSubstring("48 KB"))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(simSecret(sim, "ci", "GHCR_USERNAME")).To(Equal("bot"), "the user name was replaced without its password")
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(v1))
	g.Expect(putIndex(sim.Requests(), "/secrets/{secret_name}", "")).To(Equal(-1))
}

// An environments 502 on ci does not hold back a rotated credential of production, which is fine: the push
// goes out in the same (full) reconcile, before ci is read again.
func TestEnvironmentFailureDoesNotHoldBackAnotherEnvironmentsCredential(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns, key := readyWithProdRegistry(t, sim)

	sim.ResetRequests()
	// The rotation's credentials-only run reads production (the guard) and meets the first 502; the full
	// run that follows reads ci first in its environments concern, and only that read fails.
	sim.SetFault("GET /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: 502, Count: 2})
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)

	reqs := sim.Requests()
	guardFailed, failed, ciAgain, push := -1, -1, -1, -1
	for i, r := range reqs {
		switch {
		case r.Status == 502 && guardFailed < 0 && strings.HasSuffix(r.Path, "/environments/production"):
			guardFailed = i
		case r.Status == 502 && failed < 0:
			failed = i
			g.Expect(r.Path).To(HaveSuffix("/environments/ci"))
		case failed >= 0 && ciAgain < 0 && r.Method == "GET" && strings.HasSuffix(r.Path, "/environments/ci"):
			ciAgain = i
		case push < 0 && r.Method == "PUT" && strings.HasSuffix(r.Path, "/PROD_REGISTRY_PASSWORD"):
			push = i
		}
	}
	g.Expect(guardFailed).To(BeNumerically(">=", 0), "the credentials-only run did not meet the first fault")
	g.Expect(failed).To(BeNumerically(">", guardFailed), "the full run did not meet the second fault")
	g.Expect(push).To(BeNumerically(">", failed))
	if ciAgain >= 0 {
		g.Expect(push).To(BeNumerically("<", ciAgain), "the push waited for the retry of ci")
	}
	waitReady(t, key)
}
