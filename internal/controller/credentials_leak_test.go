package controller_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// No credential value, nor its base64, ever shows in the manager's logs (captured at the highest verbosity,
// where client-go logs request and response bodies), in events, in the pipeline object (status,
// conditions, managed fields) or in the metrics, through a full life: first push, a malformed Secret,
// rotation, drift, and the production guard restoring reviewers.
func TestNoCredentialLeaks(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	token := "ghp_" + strings.ReplaceAll(randomValue("leaktoken"), "-", "")
	sim.AddToken(token, "acme/web")
	ns := newNamespace(t)
	tokenSecret(t, ns, token)

	devUser, devPass := randomValue("leak-dev-user"), randomValue("leak-dev-pass")
	prodUser, prodPass := randomValue("leak-prod-user"), randomValue("leak-prod-pass")
	devConfig := dockerConfigJSON(false, map[string][2]string{"ghcr.io": {devUser, devPass}})
	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: devConfig})
	basicAuthSecret(t, ns, "prod-creds", prodUser, prodPass)
	secrets := []string{token, devUser, devPass, prodUser, prodPass, string(devConfig)}

	p := pipeline(ns, "web", sim)
	dev := devRegistry("ghcr-creds")
	dev.RotateEvery = &metav1.Duration{Duration: time.Hour}
	p.Spec.Registries = []civ1alpha1.Registry{dev, prodRegistry("prod-creds")}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(devPass))

	// A malformed Secret whose broken field is the password itself.
	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson,
		map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": {"ghcr.io": {"auth": "` + devPass + `"}}}`)})
	waitFor(t, key, civ1alpha1.CredentialsReadyCondition, metav1.ConditionFalse, civ1alpha1.MalformedSecretReason)

	// Rotation of both.
	devPass2, prodPass2 := randomValue("leak-dev-pass2"), randomValue("leak-prod-pass2")
	devConfig2 := dockerConfigJSON(true, map[string][2]string{"https://ghcr.io/v2/": {devUser, devPass2}})
	registrySecret(t, ns, "ghcr-creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: devConfig2})
	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	basicAuthSecret(t, ns, "prod-creds", prodUser, prodPass2)
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", devPass2)
	eventuallySimSecret(t, sim, "production", "PROD_REGISTRY_PASSWORD", prodPass2)
	secrets = append(secrets, devPass2, prodPass2, string(devConfig2))

	// Drift, re-pushed; and an overdue rotation.
	nextSecond()
	sim.SetSecretValue("acme", "web", "ci", "GHCR_PASSWORD", "tampered")
	ageCredential(t, key, "ghcr", 2*time.Hour, func(p *civ1alpha1.SecurePipeline) bool {
		return condition(p, civ1alpha1.CredentialsRotatedCondition).Reason == civ1alpha1.RotationOverdueReason
	})
	g.Expect(simSecret(sim, "ci", "GHCR_PASSWORD")).To(Equal(devPass2))
	waitReady(t, key)

	// What could leak.
	var forbidden []string
	for _, s := range secrets {
		forbidden = append(forbidden, s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	for _, up := range [][2]string{{devUser, devPass}, {devUser, devPass2}, {prodUser, prodPass}, {prodUser, prodPass2}} {
		forbidden = append(forbidden, base64.StdEncoding.EncodeToString([]byte(up[0]+":"+up[1])))
	}

	logText := logs.String()
	g.Expect(logText).To(ContainSubstring("pushed the credential of registry ghcr"), "the manager's logs were not captured")
	g.Expect(logText).To(ContainSubstring("Request Body"), "the logs were not captured at client-go's body-logging verbosity")
	var list corev1.EventList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	eventText, err := json.Marshal(list.Items)
	g.Expect(err).NotTo(HaveOccurred())
	obj := get(t, key)
	objText, err := json.Marshal(obj)
	g.Expect(err).NotTo(HaveOccurred())
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	metricsText := fmt.Sprint(families)
	g.Expect(metricsText).To(ContainSubstring("controller_runtime_reconcile_total"))

	for where, text := range map[string]string{"logs": logText, "hex dumps in the logs": undumpHex(logText), "events": string(eventText), "the pipeline": string(objText), "metrics": metricsText} {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%s contain a credential value (or its base64), %d characters long", where, len(f))
			}
		}
	}
}

// hexDumpRow is a row of encoding/hex.Dump, as client-go logs bodies that are not text (protobuf).
var hexDumpRow = regexp.MustCompile(`[0-9a-f]{8}  ((?:[0-9a-f]{2} {1,2}){1,16})`)

// undumpHex decodes every hex dump row in the text, in order, so that values split across rows show.
func undumpHex(text string) string {
	var out []byte
	for _, m := range hexDumpRow.FindAllStringSubmatch(text, -1) {
		b, err := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
		if err == nil {
			out = append(out, b...)
		}
	}
	return string(out)
}
