package controller_test

import (
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

// A dev registry (dockerconfigjson, Docker Hub's legacy key) and a prod registry (basic-auth) end up as
// environment secrets of ci and production; status records where and a fingerprint, never a value; a
// resync of the unchanged pipeline writes nothing.
func TestRegistryCredentialsArePushed(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	devUser, devPass := randomValue("dev-user"), randomValue("dev-pass")
	prodUser, prodPass := randomValue("prod-user"), randomValue("prod-pass")
	registrySecret(t, ns, "hub-creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: dockerConfigJSON(false,
		map[string][2]string{"https://index.docker.io/v1/": {devUser, devPass}, "ghcr.io": {"someone", "else"}})})
	basicAuthSecret(t, ns, "prod-creds", prodUser, prodPass)

	p := pipeline(ns, "web", sim)
	dev := devRegistry("hub-creds")
	dev.Name, dev.Server = "hub", "docker.io"
	prod := prodRegistry("prod-creds")
	prod.SecretNames = &civ1alpha1.RegistrySecretNames{Username: "PROD_USER", Password: "PROD_TOKEN"}
	p.Spec.Registries = []civ1alpha1.Registry{dev, prod}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	got := waitReady(t, key)

	g.Expect(simSecret(sim, "ci", "HUB_USERNAME")).To(Equal(devUser))
	g.Expect(simSecret(sim, "ci", "HUB_PASSWORD")).To(Equal(devPass))
	g.Expect(simSecret(sim, "production", "PROD_USER")).To(Equal(prodUser))
	g.Expect(simSecret(sim, "production", "PROD_TOKEN")).To(Equal(prodPass))
	g.Expect(sim.SecretNames("acme", "web", "ci")).To(ConsistOf("HUB_USERNAME", "HUB_PASSWORD"))

	g.Expect(condition(got, civ1alpha1.CredentialsReadyCondition)).To(SatisfyAll(
		HaveField("Status", metav1.ConditionTrue), HaveField("Message", ContainSubstring("registries hub, prod-registry"))))
	g.Expect(condition(got, civ1alpha1.CredentialsRotatedCondition)).To(SatisfyAll(
		HaveField("Status", metav1.ConditionTrue), HaveField("Message", "no registry sets rotateEvery")))
	g.Expect(got.Status.Registries).To(HaveLen(2))
	for i, want := range [][3]string{{"hub", "ci", "HUB_USERNAME"}, {"prod-registry", "production", "PROD_USER"}} {
		st := got.Status.Registries[i]
		g.Expect(st.Name).To(Equal(want[0]))
		g.Expect(st.Environment).To(Equal(want[1]))
		g.Expect(st.UsernameSecret).To(Equal(want[2]))
		g.Expect(st.Fingerprint).To(MatchRegexp(`^hmac-sha256:[0-9a-f]{8}:[0-9a-f]{64}$`))
		g.Expect(st.LastPushTime).NotTo(BeNil())
		g.Expect(st.LastRotationTime).NotTo(BeNil())
	}

	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElements(
		"Normal CredentialsPushed: pushed the credential of registry hub to secrets HUB_USERNAME and HUB_PASSWORD of environment ci of acme/web: first push",
		"Normal CredentialsPushed: pushed the credential of registry prod-registry to secrets PROD_USER and PROD_TOKEN of environment production of acme/web: first push",
	))

	requestResync(t, key)
	sim.ResetRequests()
	after := requestResync(t, key)
	g.Expect(writes(sim.Requests())).To(BeEmpty(), "a steady-state resync wrote to GitHub")
	g.Expect(after.Status.Registries).To(Equal(got.Status.Registries))
}

// Every way a registry Secret can be wrong shows on CredentialsReady with a reason and a message naming the
// Secret, the field and the problem, never the value; the other concerns go on; fixing the Secret is
// picked up through the Secret watch, without a resync.
func TestBadRegistrySecrets(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	user, pass := randomValue("user"), randomValue("pass")
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	field := "registry ghcr (spec.registries[0].credentialsSecretRef): Secret " + ns + "/ghcr-creds"

	expect := func(reason, msg string) {
		t.Helper()
		var got *civ1alpha1.SecurePipeline
		g.Eventually(func() string {
			got = waitFor(t, key, civ1alpha1.CredentialsReadyCondition, metav1.ConditionFalse, reason)
			return condition(got, civ1alpha1.CredentialsReadyCondition).Message
		}).WithTimeout(timeout).Should(SatisfyAll(HavePrefix(field), ContainSubstring(msg)))
		c := condition(got, civ1alpha1.CredentialsReadyCondition)
		for _, v := range []string{user, pass} {
			g.Expect(c.Message).NotTo(ContainSubstring(v))
		}
		g.Expect(condition(got, civ1alpha1.ReadyCondition)).To(SatisfyAll(
			HaveField("Status", metav1.ConditionFalse), HaveField("Reason", reason)))
		g.Expect(condition(got, civ1alpha1.StalledCondition).Status).To(Equal(metav1.ConditionTrue))
		// A registry's bad Secret stops only the credentials: the concerns after it ran too.
		g.Expect(condition(got, civ1alpha1.EnvironmentsReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		g.Eventually(func() metav1.ConditionStatus {
			return condition(get(t, key), civ1alpha1.DCOEnforcedCondition).Status
		}).WithTimeout(timeout).Should(Equal(metav1.ConditionTrue))
		g.Expect(sim.SecretNames("acme", "web", "ci")).To(BeEmpty())
	}

	expect(civ1alpha1.SecretNotFoundReason,
		"does not exist: create it, of type kubernetes.io/dockerconfigjson with an entry for ghcr.io, or of type kubernetes.io/basic-auth")

	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeOpaque, map[string][]byte{"username": []byte(user), "password": []byte(pass)})
	expect(civ1alpha1.SecretTypeUnsupportedReason, "its type is Opaque; it must be kubernetes.io/dockerconfigjson")

	dockerSecret(t, ns, "ghcr-creds", "quay.io", user, pass)
	expect(civ1alpha1.RegistryNotInSecretReason, `.dockerconfigjson has no entry for registry ghcr.io (entries: "quay.io")`)

	// The API server only accepts valid JSON in a dockerconfigjson Secret; these are JSON of the wrong shape.
	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson,
		map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": {"ghcr.io": {"auth": "` + pass + `"}}}`)})
	expect(civ1alpha1.MalformedSecretReason, `the "auth" field of entry "ghcr.io" is not base64`)

	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson,
		map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": ["` + pass + `"]}`)})
	expect(civ1alpha1.MalformedSecretReason, `.dockerconfigjson is not a docker config: "auths" is a JSON array, expected an object`)

	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson,
		map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": {"ghcr.io": {"username": "` + user + `"}}}`)})
	expect(civ1alpha1.MalformedSecretReason, `entry "ghcr.io" has neither an "auth" field nor both "username" and "password" (empty password)`)

	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeBasicAuth, map[string][]byte{"username": []byte(user)})
	expect(civ1alpha1.MalformedSecretReason, `key "password" is missing or empty`)

	basicAuthSecret(t, ns, "ghcr-creds", user, pass)
	waitReady(t, key)
	g.Expect(simSecret(sim, "ci", "GHCR_USERNAME")).To(Equal(user))
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(pass))
}

// A new value in a registry Secret reaches GitHub through the Secret watch within seconds, and counts as
// a rotation; every pipeline referencing the Secret gets it.
func TestSecretUpdateReachesGitHub(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.AddRepo("acme", "api")
	sim.AddToken(testToken, "acme/web", "acme/api")
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	dockerSecret(t, ns, "shared-creds", "ghcr.io", "bot", randomValue("v1"))
	var keys []client.ObjectKey
	for _, repo := range []string{"web", "api"} {
		p := pipeline(ns, repo, sim)
		p.Spec.Repository.Name = repo
		p.Spec.Registries = []civ1alpha1.Registry{devRegistry("shared-creds")}
		createPipeline(t, p)
		keys = append(keys, client.ObjectKeyFromObject(p))
	}
	before := waitReady(t, keys[0])
	waitReady(t, keys[1])

	v2 := randomValue("v2")
	start := time.Now()
	dockerSecret(t, ns, "shared-creds", "ghcr.io", "bot", v2)
	for _, repo := range []string{"web", "api"} {
		g.Eventually(func() string {
			v, _, _ := sim.SecretValue("acme", repo, "ci", "GHCR_PASSWORD")
			return v
		}).WithTimeout(10*time.Second).WithPolling(20*time.Millisecond).Should(Equal(v2), "repository %s", repo)
	}
	t.Logf("the new value was on GitHub for both repositories %s after the Secret update", time.Since(start))

	var after *civ1alpha1.SecurePipeline
	g.Eventually(func() string {
		after = get(t, keys[0])
		return registryStatusOf(after, "ghcr").Fingerprint
	}).WithTimeout(timeout).ShouldNot(Equal(registryStatusOf(before, "ghcr").Fingerprint))
	g.Expect(registryStatusOf(after, "ghcr").LastRotationTime.Time).To(BeTemporally(">=", registryStatusOf(before, "ghcr").LastRotationTime.Time))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		"Normal CredentialsPushed: pushed the credential of registry ghcr to secrets GHCR_USERNAME and GHCR_PASSWORD of environment ci of acme/web: the credential in its Secret changed"))
}

// A human overwrites or deletes a pushed secret on GitHub; the next resync pushes it again, without
// counting it as a rotation.
func TestOverwrittenSecretIsPushedAgain(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	pass := randomValue("pass")
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", pass)
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	before := registryStatusOf(waitReady(t, key), "ghcr")

	nextSecond()
	sim.SetSecretValue("acme", "web", "ci", "GHCR_PASSWORD", "tampered")
	after := registryStatusOf(requestResync(t, key), "ghcr")
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(pass))
	g.Expect(after.LastPushTime.Time).To(BeTemporally(">", before.LastPushTime.Time))
	g.Expect(after.LastRotationTime).To(Equal(before.LastRotationTime), "a re-push of the same value is not a rotation")
	g.Expect(after.Fingerprint).To(Equal(before.Fingerprint))

	sim.DeleteSecret("acme", "web", "ci", "GHCR_USERNAME")
	requestResync(t, key)
	g.Expect(simSecret(sim, "ci", "GHCR_USERNAME")).To(Equal("bot"))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElements(
		ContainSubstring("of environment ci of acme/web: secret GHCR_PASSWORD was changed on GitHub after the operator's last push"),
		ContainSubstring("of environment ci of acme/web: secret GHCR_USERNAME was missing on GitHub"),
	))
}

// Before pushing a production credential the operator confirms on GitHub that the environment has required
// reviewers. Here the rotation's credentials-only run cannot read production (the first 502), so the full
// run that follows runs every concern, and its environments concern cannot read either environment (two
// more 502s), so it does not restore production in the same reconcile: the guard itself finds the
// reviewers gone and restores them before pushing. When restoring fails, nothing is pushed and
// CredentialsReady says EnvironmentNotGated.
func TestProductionGuardRestoresReviewersBeforePushing(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	v1 := randomValue("v1")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v1)
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{prodRegistry("prod-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	removeReviewers := func() {
		sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	}
	removeReviewers()
	sim.SetFault("GET /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: 502, Count: 3})
	sim.ResetRequests()
	v2 := randomValue("v2")
	basicAuthSecret(t, ns, "prod-creds", "deployer", v2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2)
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
	reqs := sim.Requests()
	restore := putIndex(reqs, "/environments/{environment_name}", "/environments/production")
	push := putIndex(reqs, "/secrets/{secret_name}", "/PROD_REGISTRY_USERNAME")
	g.Expect(restore).To(BeNumerically(">=", 0), "the environment was not restored: %v", writes(reqs))
	g.Expect(restore).To(BeNumerically("<", push), "the credential was pushed before the environment was restored")
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		"Warning EnvironmentRestored: environment production of acme/web has no required reviewers on GitHub, so it was restored to the spec (2 required reviewer(s)) before pushing the production credential of registry prod-registry"))

	for _, status := range []int{422, 500} {
		removeReviewers()
		sim.SetFault("PUT /repos/{owner}/{repo}/environments/{environment_name}", githubsim.Fault{Status: status})
		sim.ResetRequests()
		v3 := randomValue("v3")
		basicAuthSecret(t, ns, "prod-creds", "deployer", v3)
		got := waitFor(t, key, civ1alpha1.CredentialsReadyCondition, metav1.ConditionFalse, civ1alpha1.EnvironmentNotGatedReason)
		g.Expect(condition(got, civ1alpha1.CredentialsReadyCondition).Message).To(SatisfyAll(
			HavePrefix("registry prod-registry (spec.registries[0]) is production-tier, but environment production of acme/web has no required reviewers on GitHub and restoring it failed: "),
			HaveSuffix("; the credential was not pushed")))
		g.Expect(simSecret(sim, "production", "PROD_REGISTRY_PASSWORD")).To(Equal(v2), "pushed to an ungated environment (fault %d)", status)
		g.Expect(putIndex(sim.Requests(), "/secrets/{secret_name}", "")).To(Equal(-1))
		sim.ClearFaults()
		eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v2) // unchanged until a resync
		requestResync(t, key)
		eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", v3)
		prod, _ := sim.Environment("acme", "web", "production")
		g.Expect(prod.Reviewers).To(HaveLen(2))
		v2 = v3
	}
}

// A registry removed from the spec, or given other secret names, has the secrets this pipeline pushed for
// it deleted, and nothing else; deletionPolicy Delete removes the rest with the pipeline.
func TestRemovedRegistryDeletesOnlyItsSecrets(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", randomValue("ghcr"))
	dockerSecret(t, ns, "quay-creds", "quay.io", "bot", randomValue("quay"))
	p := pipeline(ns, "web", sim)
	quay := devRegistry("quay-creds")
	quay.Name, quay.Server = "quay", "quay.io"
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds"), quay}
	p.Spec.DeletionPolicy = civ1alpha1.DeletionPolicyDelete
	// ci exists before the pipeline, so deleting the pipeline keeps it: only the secrets go.
	sim.UpdateEnvironment("acme", "web", "ci", func(*githubsim.EnvironmentState) {})
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	// A secret a human made, in the same environment.
	sim.SetSecretValue("acme", "web", "ci", "NPM_TOKEN", "human's")
	g.Expect(sim.SecretNames("acme", "web", "ci")).To(ConsistOf("GHCR_USERNAME", "GHCR_PASSWORD", "QUAY_USERNAME", "QUAY_PASSWORD", "NPM_TOKEN"))

	patchSpec(t, key, func(p *civ1alpha1.SecurePipeline) { p.Spec.Registries = p.Spec.Registries[:1] })
	g.Eventually(func() []string { return sim.SecretNames("acme", "web", "ci") }).WithTimeout(timeout).
		Should(ConsistOf("GHCR_USERNAME", "GHCR_PASSWORD", "NPM_TOKEN"))
	got := waitReady(t, key)
	g.Expect(got.Status.Registries).To(ConsistOf(HaveField("Name", "ghcr")))

	patchSpec(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Registries[0].SecretNames = &civ1alpha1.RegistrySecretNames{Username: "GHCR_USER"}
	})
	g.Eventually(func() []string { return sim.SecretNames("acme", "web", "ci") }).WithTimeout(timeout).
		Should(ConsistOf("GHCR_USER", "GHCR_PASSWORD", "NPM_TOKEN"))
	got = waitReady(t, key)
	g.Expect(registryStatusOf(got, "ghcr")).To(SatisfyAll(HaveField("UsernameSecret", "GHCR_USER"), HaveField("PasswordSecret", "GHCR_PASSWORD")))
	g.Expect(simSecret(sim, "ci", "GHCR_USER")).To(Equal("bot"))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElements(
		"Normal SecretDeleted: deleted secret QUAY_USERNAME of environment ci of acme/web, which this pipeline pushed: registry quay was removed from spec.registries",
		"Normal SecretDeleted: deleted secret GHCR_USERNAME of environment ci of acme/web, which this pipeline pushed: registry ghcr now uses other secret names or another environment",
	))

	deletePipeline(t, key)
	g.Expect(sim.SecretNames("acme", "web", "ci")).To(ConsistOf("NPM_TOKEN"))
}

// rotateEvery without externalSecretRef: the operator cannot mint a credential, says so with
// CredentialsRotated=False/RotationOverdue and a Warning event, leaves Ready alone, and keeps pushing.
// An externalSecretRef naming no ExternalSecret is overdue too.
func TestRotationOverdueWithoutExternalSecret(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	pass := randomValue("pass")
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", pass)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("prod"))
	p := pipeline(ns, "web", sim)
	dev := devRegistry("ghcr-creds")
	dev.RotateEvery = &metav1.Duration{Duration: time.Hour}
	prod := prodRegistry("prod-creds")
	prod.RotateEvery = &metav1.Duration{Duration: 24 * time.Hour}
	prod.ExternalSecretRef = &civ1alpha1.ExternalSecretReference{Name: "no-such-es"}
	p.Spec.Registries = []civ1alpha1.Registry{dev, prod}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	got := waitReady(t, key)
	g.Expect(condition(got, civ1alpha1.CredentialsRotatedCondition)).To(SatisfyAll(
		HaveField("Status", metav1.ConditionTrue),
		HaveField("Message", MatchRegexp(`^every credential with rotateEvery is younger than it: registry ghcr: next rotation due at \S+; registry prod-registry: next rotation due at`))))

	overdue := func(p *civ1alpha1.SecurePipeline) bool {
		return condition(p, civ1alpha1.CredentialsRotatedCondition).Reason == civ1alpha1.RotationOverdueReason
	}
	ageCredential(t, key, "ghcr", 2*time.Hour, overdue)
	got = ageCredential(t, key, "prod-registry", 48*time.Hour, func(p *civ1alpha1.SecurePipeline) bool {
		return strings.Contains(condition(p, civ1alpha1.CredentialsRotatedCondition).Message, "no-such-es")
	})
	c := condition(got, civ1alpha1.CredentialsRotatedCondition)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Message).To(ContainSubstring("registry ghcr: the credential was last rotated at "))
	g.Expect(c.Message).To(ContainSubstring("more than rotateEvery (1h0m0s) ago, and without spec.registries[0].externalSecretRef the operator cannot ask for a new one: put a new credential in Secret " + ns + "/ghcr-creds (it is pushed at once)"))
	g.Expect(c.Message).To(ContainSubstring("and ExternalSecret " + ns + "/no-such-es (spec.registries[1].externalSecretRef) does not exist, so the operator cannot ask for a new one"))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue), "an overdue rotation does not make the pipeline unready")
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		HavePrefix("Warning RotationOverdue: registry ghcr: the credential was last rotated at ")))

	// Still pushing the current value.
	nextSecond()
	sim.SetSecretValue("acme", "web", "ci", "GHCR_PASSWORD", "tampered")
	requestResync(t, key)
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(pass))

	// A new value in the Secret is a rotation.
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", randomValue("new"))
	g.Eventually(func() string {
		return condition(get(t, key), civ1alpha1.CredentialsRotatedCondition).Message
	}).WithTimeout(timeout).ShouldNot(ContainSubstring("registry ghcr: the credential was last rotated"))
}
