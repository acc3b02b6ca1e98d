package bundle

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/secure-pipeline/operator/hack/bundlegen/gen"
)

func createNamespace(t *testing.T, c client.Client, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
}

// Every alm-example is a SecurePipeline the API server accepts (schema and CEL rules), as the OLM console
// would create it.
func TestALMExamplesPassServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t).Client
	csv, _ := readCSV(t)
	var examples []map[string]any
	g.Expect(json.Unmarshal([]byte(csv.Metadata.Annotations["alm-examples"]), &examples)).To(Succeed())
	g.Expect(examples).NotTo(BeEmpty())
	createNamespace(t, c, "alm-examples", nil)
	for _, e := range examples {
		u := &unstructured.Unstructured{Object: e}
		u.SetNamespace("alm-examples")
		g.Expect(c.Create(context.Background(), u, client.DryRunAll)).To(Succeed(), "alm-example %s", u.GetName())
	}
	// Dry-run means nothing was stored.
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("ci.securepipeline.dev/v1alpha1")
	list.SetKind("SecurePipelineList")
	g.Expect(c.List(context.Background(), list, client.InNamespace("alm-examples"))).To(Succeed())
	g.Expect(list.Items).To(BeEmpty())
}

// The install manifests (config/default, what `make build-installer` writes to dist/install.yaml) are
// accepted by the API server, and the manager's pod is admitted under the "restricted" Pod Security
// Standard that its namespace enforces.
func TestInstallManifestsPassServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t).Client
	ctx := context.Background()
	objs := render(t, "config/default")

	var namespace string
	for _, o := range objs {
		if gen.Str(o, "kind") != "Namespace" {
			continue
		}
		// The namespace is created for real: the namespaced objects' dry-runs need it to exist.
		u := &unstructured.Unstructured{Object: o}
		g.Expect(c.Create(ctx, u)).To(Succeed())
		namespace = u.GetName()
		g.Expect(u.GetLabels()).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "restricted"))
	}
	g.Expect(namespace).NotTo(BeEmpty())

	for _, o := range objs {
		u := &unstructured.Unstructured{Object: o}
		if u.GetKind() == "Namespace" {
			continue
		}
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()),
			client.FieldOwner("install-test"), client.ForceOwnership, client.DryRunAll)
		g.Expect(err).NotTo(HaveOccurred(), "%s %s", u.GetKind(), u.GetName())
	}

	// The manager's pod, as the Deployment would create it.
	deployments := ofKind(objs, "Deployment")
	g.Expect(deployments).To(HaveLen(1))
	tmpl, _ := gen.Get(deployments[0], "spec", "template").(map[string]any)
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "manager", "namespace": namespace, "labels": gen.Get(tmpl, "metadata", "labels")},
		"spec":     tmpl["spec"],
	}}
	g.Expect(c.Create(ctx, pod.DeepCopy(), client.DryRunAll)).To(Succeed(), "the manager pod violates the restricted Pod Security Standard")

	// And the namespace really enforces it: a pod that may escalate privileges is refused.
	bad := pod.DeepCopy()
	containers := bad.Object["spec"].(map[string]any)["containers"].([]any)
	containers[0].(map[string]any)["securityContext"] = map[string]any{"allowPrivilegeEscalation": true}
	err := c.Create(ctx, bad, client.DryRunAll)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("restricted"))
}

// The example credentials are valid Secrets, and stay out of the samples kustomization (alm-examples).
func TestSecretsExamplePassServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t).Client
	createNamespace(t, c, "secrets-example", nil)
	f, err := os.Open(filepath.Join(root, "config", "samples", "secrets-example.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	n := 0
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetNamespace("secrets-example")
		g.Expect(c.Create(context.Background(), u, client.DryRunAll)).To(Succeed(), u.GetName())
		n++
	}
	g.Expect(n).To(Equal(3))
	for _, s := range render(t, "config/samples") {
		g.Expect(gen.Str(s, "kind")).NotTo(Equal("Secret"))
	}
}
