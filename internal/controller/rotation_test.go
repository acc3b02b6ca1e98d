package controller_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/controller"
)

// ecrServer is an Amazon ECR registry, whose credentials External Secrets Operator's ECRAuthorizationToken
// generator makes (valid for 12 hours).
const ecrServer = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

// externalSecret creates an ExternalSecret (External Secrets Operator's v1 API, installed in the test
// control plane without ESO's controller: the test plays ESO) that fills Secret target from an
// ECRAuthorizationToken generator.
func externalSecret(t *testing.T, ns, name, target string) *unstructured.Unstructured {
	t.Helper()
	es := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1",
		"kind":       "ExternalSecret",
		"metadata":   map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{
			"refreshInterval": "0s",
			"target": map[string]any{
				"name": target,
				"template": map[string]any{
					"type": "kubernetes.io/dockerconfigjson",
					"data": map[string]any{
						".dockerconfigjson": `{"auths":{"{{ .proxy_endpoint }}":{"username":"{{ .username }}","password":"{{ .password }}"}}}`,
					},
				},
			},
			"dataFrom": []any{map[string]any{"sourceRef": map[string]any{"generatorRef": map[string]any{
				"apiVersion": "generators.external-secrets.io/v1alpha1", "kind": "ECRAuthorizationToken", "name": "ecr",
			}}}},
		},
	}}
	NewWithT(t).Expect(k8s.Create(context.Background(), es)).To(Succeed())
	return es
}

func getExternalSecret(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	es := &unstructured.Unstructured{}
	es.SetAPIVersion("external-secrets.io/v1")
	es.SetKind("ExternalSecret")
	NewWithT(t).Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, es)).To(Succeed())
	return es
}

// A credential older than rotateEvery with an externalSecretRef: the operator annotates the ExternalSecret
// with force-sync, reports RotationPending (Ready stays True), and pushes the new value as soon as
// External Secrets Operator writes it to the Secret. When ESO refreshes but the credential stays the same,
// the rotation is overdue.
func TestRotationThroughExternalSecrets(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	dockerSecret(t, ns, "ecr-creds", ecrServer, "AWS", randomValue("ecr-v1"))
	externalSecret(t, ns, "ecr", "ecr-creds")
	p := pipeline(ns, "web", sim)
	p.Spec.Registries = []civ1alpha1.Registry{{
		Name: "ecr", Server: ecrServer, Environment: "ci",
		CredentialsSecretRef: civ1alpha1.SecretReference{Name: "ecr-creds"},
		ExternalSecretRef:    &civ1alpha1.ExternalSecretReference{Name: "ecr"},
		RotateEvery:          &metav1.Duration{Duration: time.Hour},
	}}
	createPipeline(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	pending := func(p *civ1alpha1.SecurePipeline) bool {
		return condition(p, civ1alpha1.CredentialsRotatedCondition).Reason == civ1alpha1.RotationPendingReason
	}
	before := time.Now()
	got := ageCredential(t, key, "ecr", 2*time.Hour, pending)
	c := condition(got, civ1alpha1.CredentialsRotatedCondition)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Message).To(MatchRegexp(`^registry ecr: the credential was last rotated at \S+, more than rotateEvery \(1h0m0s\) ago; asked External Secrets Operator at \S+ to refresh ExternalSecret ` +
		ns + `/ecr \(annotation force-sync\), waiting for Secret ` + ns + `/ecr-creds to change$`))
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue), "a pending rotation does not make the pipeline unready")
	g.Expect(condition(got, civ1alpha1.ReconcilingCondition).Status).To(BeEmpty())
	requested := registryStatusOf(got, "ecr").RotationRequestedTime
	g.Expect(requested).NotTo(BeNil())

	stamp := getExternalSecret(t, ns, "ecr").GetAnnotations()[controller.ForceSyncAnnotation]
	unix, err := strconv.ParseInt(stamp, 10, 64)
	g.Expect(err).NotTo(HaveOccurred(), "force-sync=%q is not a unix time", stamp)
	g.Expect(time.Unix(unix, 0)).To(BeTemporally("~", before, time.Minute))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		MatchRegexp(`^Normal RotationRequested: registry ecr: the credential was last rotated at .*: asked External Secrets Operator for a new one \(annotated ExternalSecret ` + ns + `/ecr with force-sync=` + stamp + `\)$`)))

	// External Secrets Operator refreshes the Secret; the new value is pushed through the Secret watch.
	v2 := randomValue("ecr-v2")
	dockerSecret(t, ns, "ecr-creds", ecrServer, "AWS", v2)
	eventuallySimSecret(t, sim, "ci", "ECR_PASSWORD", v2)
	got = waitFor(t, key, civ1alpha1.CredentialsRotatedCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(condition(got, civ1alpha1.CredentialsRotatedCondition).Message).To(HavePrefix("every credential with rotateEvery is younger than it: registry ecr: next rotation due at "))
	g.Expect(registryStatusOf(got, "ecr").LastRotationTime.Time).To(BeTemporally(">=", requested.Time))

	// Asked again, ESO refreshes, but its source gave the same credential: overdue, and said so.
	ageCredential(t, key, "ecr", 2*time.Hour, pending)
	es := getExternalSecret(t, ns, "ecr")
	g.Expect(k8s.Status().Patch(context.Background(), es, client.RawPatch(types.MergePatchType,
		[]byte(`{"status":{"refreshTime":"`+time.Now().UTC().Format(time.RFC3339)+`"}}`)))).To(Succeed())
	got = requestResync(t, key)
	c = condition(got, civ1alpha1.CredentialsRotatedCondition)
	g.Expect(c.Reason).To(Equal(civ1alpha1.RotationOverdueReason), c.Message)
	g.Expect(c.Message).To(ContainSubstring("External Secrets Operator refreshed ExternalSecret " + ns + "/ecr after the operator asked at "))
	g.Expect(c.Message).To(ContainSubstring("but the credential did not change: its source does not rotate it"))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		ContainSubstring("Warning RotationOverdue: registry ecr: ")))
}
