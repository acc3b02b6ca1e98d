package controller_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// Attacks on the production gate: environment names as GitHub compares them (attack 1) and repository
// administrators bypassing the reviewers (attack 4).

// withoutAdmissionRules removes from the installed CRD the CEL rules whose messages contain one of the
// substrings, for the rest of the test, to store objects as they could have been stored before those
// rules existed (admission does not re-validate stored objects).
func withoutAdmissionRules(t *testing.T, substrings ...string) {
	t.Helper()
	if noControlPlane {
		t.Skip("needs the test control plane")
	}
	g := NewWithT(t)
	ctx := context.Background()
	key := client.ObjectKey{Name: "securepipelines.ci.securepipeline.dev"}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(k8s.Get(ctx, key, crd)).To(Succeed())
	original := crd.Spec.DeepCopy()
	drop := func(rules apiextensionsv1.ValidationRules) apiextensionsv1.ValidationRules {
		var kept apiextensionsv1.ValidationRules
		for _, r := range rules {
			if !containsAny(r.Message, substrings) {
				kept = append(kept, r)
			}
		}
		return kept
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	spec.XValidations = drop(spec.XValidations)
	envs := spec.Properties["environments"]
	envs.XValidations = drop(envs.XValidations)
	spec.Properties["environments"] = envs
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = spec
	g.Expect(k8s.Update(ctx, crd)).To(Succeed())
	t.Cleanup(func() {
		cur := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(k8s.Get(ctx, key, cur)).To(Succeed())
		cur.Spec = *original
		g.Expect(k8s.Update(ctx, cur)).To(Succeed())
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// createStored creates p, retrying while the API server still applies the rules just removed.
func createStored(t *testing.T, p *civ1alpha1.SecurePipeline) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		return k8s.Create(context.Background(), p.DeepCopy())
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	key := client.ObjectKeyFromObject(p)
	t.Cleanup(func() { deletePipeline(t, key) })
}

// Attack 1, stored before the rule: "production" with reviewers and "Production" without are one
// environment on GitHub. The controller refuses the pipeline, Stalled with the admission rule's message,
// and writes nothing to GitHub.
func TestCaseVariantEnvironmentsStoredBeforeTheRuleAreRefused(t *testing.T) {
	g := NewWithT(t)
	withoutAdmissionRules(t, "unique case-insensitively")
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("prod"))
	p := pipeline(ns, "web", sim)
	p.Spec.Environments = append(p.Spec.Environments, civ1alpha1.Environment{Name: "Production"})
	p.Spec.Registries = []civ1alpha1.Registry{prodRegistry("prod-creds")}
	createStored(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.InvalidSpecReason)
	msg := condition(got, civ1alpha1.StalledCondition).Message
	g.Expect(msg).To(ContainSubstring("environment names must be unique case-insensitively: GitHub treats names that differ only in case"))
	g.Expect(msg).To(ContainSubstring(`spec.environments[1] ("production") and spec.environments[2] ("Production")`))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(writes(sim.Requests())).To(BeEmpty(), "a refused pipeline wrote to GitHub")
	g.Expect(sim.EnvironmentNames("acme", "web")).To(BeEmpty())
}

// Attack 1, look-alikes stored before the rule: a production environment named with a Cyrillic "о" is
// refused (EnvironmentNameUnsafe); a development one is only noted, in a Warning event and the condition.
func TestLookAlikeEnvironmentNames(t *testing.T) {
	g := NewWithT(t)
	withoutAdmissionRules(t, "plain ASCII")
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("prod"))
	p := pipeline(ns, "web", sim)
	p.Spec.Environments[1].Name = "prоduction" // Cyrillic о
	reg := prodRegistry("prod-creds")
	reg.Environment = "prоduction"
	p.Spec.Registries = []civ1alpha1.Registry{reg}
	createStored(t, p)
	key := client.ObjectKeyFromObject(p)
	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.EnvironmentNameUnsafeReason)
	g.Expect(condition(got, civ1alpha1.StalledCondition).Message).To(ContainSubstring("U+043E"))
	g.Expect(writes(sim.Requests())).To(BeEmpty())

	sim2 := newSim(t)
	ns2 := newNamespace(t)
	tokenSecret(t, ns2, testToken)
	dockerSecret(t, ns2, "ghcr-creds", "ghcr.io", "bot", randomValue("dev"))
	q := pipeline(ns2, "web", sim2)
	q.Spec.Environments[0].Name = "cі" // Cyrillic і
	dev := devRegistry("ghcr-creds")
	dev.Environment = "cі"
	q.Spec.Registries = []civ1alpha1.Registry{dev}
	createPipeline(t, q)
	qkey := client.ObjectKeyFromObject(q)
	ready := waitReady(t, qkey)
	g.Expect(condition(ready, civ1alpha1.EnvironmentsReadyCondition).Message).To(ContainSubstring(`note: environment "cі" (spec.environments[0]) has non-ASCII characters (U+0456)`))
	g.Eventually(func() []string { return eventsFor(t, ns2, "web") }).WithTimeout(timeout).Should(
		ContainElement(ContainSubstring(`Warning EnvironmentNote: environment "cі" (spec.environments[0]) has non-ASCII characters`)))
}

// Attack 1 through the guard: a registry may name its environment in another case (GitHub's comparison);
// the guard finds the environment and restores its reviewers before pushing.
func TestGuardFindsTheEnvironmentInAnyCase(t *testing.T) {
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("v1"))
	p := pipeline(ns, "web", sim)
	reg := prodRegistry("prod-creds")
	reg.Environment = "Production"
	p.Spec.Registries = []civ1alpha1.Registry{reg}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	sim.SetFault("GET /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: 502, Count: 2})
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)
	prod, _ := sim.Environment("acme", "web", "production")
	NewWithT(t).Expect(prod.Reviewers).To(HaveLen(2))
	waitReady(t, key)
}

// Attack 4: production gets can_admins_bypass false; a human turning it back on is reverted with an event at
// the next resync, and the guard restores it before a push. Environments the spec says nothing about keep
// GitHub's value; allowAdminBypass sets it.
func TestAdminBypassIsForbiddenOnProduction(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("v1"))
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{prodRegistry("prod-creds")}
	p.Spec.Environments = append(p.Spec.Environments, civ1alpha1.Environment{Name: "staging", AllowAdminBypass: new(false)})
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	bypass := func(env string) bool { e, _ := sim.Environment("acme", "web", env); return e.CanAdminsBypass }
	g.Expect(bypass("production")).To(BeFalse())
	g.Expect(bypass("staging")).To(BeFalse())
	g.Expect(bypass("ci")).To(BeTrue(), "ci declares nothing, so GitHub's default stays")

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.CanAdminsBypass = true })
	requestResync(t, key)
	g.Expect(bypass("production")).To(BeFalse())
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(
		ContainElement(ContainSubstring("reverted can_admins_bypass on environment production of acme/web")))

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.CanAdminsBypass = true })
	sim.SetFault("GET /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: 502, Count: 3})
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)
	g.Expect(bypass("production")).To(BeFalse())
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		"Warning EnvironmentRestored: environment production of acme/web lets repository administrators bypass its reviewers (can_admins_bypass is on on GitHub), so it was restored to the spec (2 required reviewer(s)) before pushing the production credential of registry prod-registry"))

	update(t, key, func(p *civ1alpha1.SecurePipeline) { p.Spec.Environments[0].AllowAdminBypass = new(false) })
	waitReady(t, key)
	g.Expect(bypass("ci")).To(BeFalse())
}

// Attack 4 on an older GitHub Enterprise Server, which refuses can_admins_bypass: production credentials are
// not pushed and the pipeline is Stalled with AdminBypassUnsupported, until the pipeline accepts the risk;
// then every push says so in a Warning event and in CredentialsReady.
func TestAdminBypassUnsupportedOnOlderGHES(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t, githubsim.WithoutAdminBypassSetting())
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	prodPass := randomValue("prod")
	basicAuthSecret(t, ns, "prod-creds", "deployer", prodPass)
	devPass := randomValue("dev")
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", devPass)
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds"), prodRegistry("prod-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.AdminBypassUnsupportedReason)
	g.Expect(condition(got, civ1alpha1.StalledCondition).Message).To(ContainSubstring("acceptUnenforcedAdminBypass"))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", devPass)
	g.Expect(sim.SecretNames("acme", "web", "production")).To(BeEmpty(), "a production credential was pushed where admins can bypass the reviewers")

	update(t, key, func(p *civ1alpha1.SecurePipeline) { p.Spec.GitHub.AcceptUnenforcedAdminBypass = true })
	ready := waitReady(t, key)
	g.Expect(simSecret(sim, "production", "PROD_REGISTRY_PASSWORD")).To(Equal(prodPass))
	g.Expect(condition(ready, civ1alpha1.CredentialsReadyCondition).Reason).To(Equal(civ1alpha1.AdminBypassNotEnforcedReason))
	g.Expect(condition(ready, civ1alpha1.CredentialsReadyCondition).Message).To(ContainSubstring("repository administrators can deploy with them without approval"))
	g.Expect(condition(ready, civ1alpha1.EnvironmentsReadyCondition).Message).To(ContainSubstring("does not support can_admins_bypass"))
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(
		ContainElement(ContainSubstring("Warning AdminBypassNotEnforced: pushing the production credential of registry prod-registry")))

	prodPass2 := randomValue("prod2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", prodPass2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", prodPass2)
	g.Eventually(func() int32 {
		var list corev1.EventList
		g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
		var n int32
		for _, e := range list.Items {
			if e.Reason == civ1alpha1.AdminBypassNotEnforcedReason {
				n += max(e.Count, 1) // the recorder counts repeats of one message in one Event
			}
		}
		return n
	}).WithTimeout(timeout).Should(BeNumerically(">=", 2), "every push says so")
}
