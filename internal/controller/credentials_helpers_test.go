package controller_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// Helpers of the credentials tests.

// randomValue makes a credential value unique to one test, so that leak checks over the shared log cannot
// be fooled by another test's values.
func randomValue(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// dockerConfigJSON is a docker config with one entry per server, each with an "auth" field
// (or username and password when plain is set).
func dockerConfigJSON(plain bool, entries map[string][2]string) []byte {
	auths := map[string]map[string]string{}
	for server, up := range entries {
		if plain {
			auths[server] = map[string]string{"username": up[0], "password": up[1]}
		} else {
			auths[server] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(up[0] + ":" + up[1]))}
		}
	}
	b, _ := json.Marshal(map[string]any{"auths": auths})
	return b
}

// registrySecret creates (or replaces: same name, new type) a Secret of the given type and data.
func registrySecret(t *testing.T, ns, name string, typ corev1.SecretType, data map[string][]byte) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	old := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, old); err == nil {
		if old.Type == typ {
			old.Data = data
			g.Expect(k8s.Update(ctx, old)).To(Succeed())
			return
		}
		g.Expect(k8s.Delete(ctx, old)).To(Succeed())
		g.Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &corev1.Secret{})
		}).WithTimeout(timeout).Should(HaveOccurred())
	}
	g.Expect(k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: typ, Data: data,
	})).To(Succeed())
}

func dockerSecret(t *testing.T, ns, name, server, user, pass string) {
	t.Helper()
	registrySecret(t, ns, name, corev1.SecretTypeDockerConfigJson,
		map[string][]byte{corev1.DockerConfigJsonKey: dockerConfigJSON(false, map[string][2]string{server: {user, pass}})})
}

func basicAuthSecret(t *testing.T, ns, name, user, pass string) {
	t.Helper()
	registrySecret(t, ns, name, corev1.SecretTypeBasicAuth,
		map[string][]byte{corev1.BasicAuthUsernameKey: []byte(user), corev1.BasicAuthPasswordKey: []byte(pass)})
}

// devRegistry is a development registry on ghcr.io pushed to the ci environment.
func devRegistry(secret string) civ1alpha1.Registry {
	return civ1alpha1.Registry{
		Name: "ghcr", Server: "ghcr.io", Environment: "ci",
		CredentialsSecretRef: civ1alpha1.SecretReference{Name: secret},
	}
}

// prodRegistry is a production registry pushed to the production environment (which has reviewers).
func prodRegistry(secret string) civ1alpha1.Registry {
	return civ1alpha1.Registry{
		Name: "prod-registry", Server: "registry.example.com:5000", Environment: "production",
		Tier:                 civ1alpha1.RegistryTierProduction,
		CredentialsSecretRef: civ1alpha1.SecretReference{Name: secret},
	}
}

// simSecret is a secret's decrypted value on the simulator ("" when it does not exist).
func simSecret(sim *githubsim.Server, env, name string) string {
	v, _, _ := sim.SecretValue("acme", "web", env, name)
	return v
}

// eventuallySimSecret waits until a secret on the simulator holds value.
func eventuallySimSecret(t *testing.T, sim *githubsim.Server, env, name, value string) {
	t.Helper()
	NewWithT(t).Eventually(func() string { return simSecret(sim, env, name) }).
		WithTimeout(timeout).WithPolling(20*time.Millisecond).Should(Equal(value), "secret %s of environment %s", name, env)
}

// createPipeline creates a pipeline and deletes it when the test ends, before its simulator stops (cleanups
// run last-registered first). A pipeline left behind would keep claiming its repository: a later test's
// simulator may get the same port, hence the same API URL and repository key, and find it the older owner.
func createPipeline(t *testing.T, p *civ1alpha1.SecurePipeline) {
	t.Helper()
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	t.Cleanup(func() {
		cur := &civ1alpha1.SecurePipeline{}
		if err := k8s.Get(context.Background(), key, cur); err != nil {
			return
		}
		if cur.DeletionTimestamp.IsZero() {
			deletePipeline(t, key)
		}
	})
}

// patchSpec changes a pipeline's spec with a merge patch.
func patchSpec(t *testing.T, key client.ObjectKey, mutate func(*civ1alpha1.SecurePipeline)) {
	t.Helper()
	cur := get(t, key)
	patch := client.MergeFrom(cur.DeepCopy())
	mutate(cur)
	NewWithT(t).Expect(k8s.Patch(context.Background(), cur, patch)).To(Succeed())
}

// ageCredential moves a registry's lastRotationTime into the past through the status subresource, as if
// the credential had been pushed that long ago, then asks for a resync (status updates do not trigger
// one) and returns the pipeline once seen says the operator has acted on it.
func ageCredential(t *testing.T, key client.ObjectKey, registryName string, age time.Duration, seen func(*civ1alpha1.SecurePipeline) bool) *civ1alpha1.SecurePipeline {
	t.Helper()
	g := NewWithT(t)
	for range 5 {
		p := get(t, key)
		patch := client.MergeFrom(p.DeepCopy())
		found := false
		for i := range p.Status.Registries {
			if st := &p.Status.Registries[i]; st.Name == registryName {
				old := metav1.NewTime(time.Now().Add(-age))
				st.LastRotationTime, found = &old, true
			}
		}
		g.Expect(found).To(BeTrue(), "registry %s has no status entry", registryName)
		g.Expect(k8s.Status().Patch(context.Background(), p, patch)).To(Succeed())
		if p = requestResync(t, key); seen(p) {
			return p
		}
	}
	p := get(t, key)
	t.Fatalf("the operator did not act on the aged credential: CredentialsRotated: %+v; registries: %+v",
		condition(p, civ1alpha1.CredentialsRotatedCondition), p.Status.Registries)
	return nil
}

// registryStatusOf returns a registry's status entry, or an empty one.
func registryStatusOf(p *civ1alpha1.SecurePipeline, name string) civ1alpha1.RegistryStatus {
	for _, st := range p.Status.Registries {
		if st.Name == name {
			return st
		}
	}
	return civ1alpha1.RegistryStatus{}
}

// putIndex is the position in the request log of the first PUT to a route ending in suffix, or -1.
func putIndex(reqs []githubsim.RequestRecord, routeSuffix, pathSuffix string) int {
	for i, r := range reqs {
		if r.Method == "PUT" && strings.HasSuffix(r.Route, routeSuffix) && strings.HasSuffix(strings.ToUpper(r.Path), strings.ToUpper(pathSuffix)) {
			return i
		}
	}
	return -1
}

// nextSecond waits until the wall clock enters a new second, so that a change made next has a later
// updated_at (GitHub's times have one-second precision) than what happened before.
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 50*time.Millisecond).Sub(now))
}

// readyWithCIRegistry creates, in a new namespace whose Secret "github" holds token, the typical pipeline
// with one ci registry (Secret ghcr-creds: bot / first), waits until it is Ready, and returns the namespace
// and the pipeline's key.
func readyWithCIRegistry(t *testing.T, sim *githubsim.Server, token string) (string, client.ObjectKey) {
	t.Helper()
	ns := newNamespace(t)
	tokenSecret(t, ns, token)
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "first")
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{devRegistry("ghcr-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	return ns, key
}

// readyWithProdRegistry creates, in a new namespace, pipeline "web" with one production-tier registry
// (Secret "prod-creds") on the simulator's acme/web, and waits until it is Ready.
func readyWithProdRegistry(t *testing.T, sim *githubsim.Server) (string, client.ObjectKey) {
	t.Helper()
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	basicAuthSecret(t, ns, "prod-creds", "deployer", randomValue("v1"))
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{prodRegistry("prod-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	return ns, key
}
