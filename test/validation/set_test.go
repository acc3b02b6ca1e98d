package validation

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/secure-pipeline/operator/internal/testenv"
)

// setSample loads config/samples' SecurePipelineSet as a plain object.
func setSample(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "ci_v1alpha1_securepipelineset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestSetValidation(t *testing.T) {
	cases := []validationCase{
		{name: "sample is accepted", mutate: func(map[string]any) {}},
		{name: "a set name longer than a label value", mutate: func(o map[string]any) {
			set(o, "metadata.name", strings.Repeat("a", 64))
		}, refused: []string{"at most 63 characters"}},
		{name: "owner with a slash", mutate: func(o map[string]any) {
			set(o, "spec.selector.owner", "acme/other")
		}, refused: []string{"spec.selector.owner"}},
		{name: "owner missing", mutate: func(o map[string]any) {
			set(o, "spec.selector.owner", nil)
		}, refused: []string{"spec.selector.owner: Required value"}},
		{name: "a name pattern with a path separator", mutate: func(o map[string]any) {
			set(o, "spec.selector.names", []any{"svc/*"})
		}, refused: []string{"spec.selector.names[0]"}},
		{name: "an upper-case topic", mutate: func(o map[string]any) {
			set(o, "spec.selector.topics", []any{"Production"})
		}, refused: []string{"spec.selector.topics[0]"}},
		{name: "an unknown visibility", mutate: func(o map[string]any) {
			set(o, "spec.selector.visibility", []any{"secret"})
		}, refused: []string{"spec.selector.visibility[0]", "Unsupported value"}},
		{name: "a property selector without values", mutate: func(o map[string]any) {
			set(o, "spec.selector.properties", []any{map[string]any{"name": "team", "values": []any{}}})
		}, refused: []string{"spec.selector.properties[0].values"}},
		{name: "include of another owner's repository", mutate: func(o map[string]any) {
			set(o, "spec.selector.include", []any{"evil/repo"})
		}, refused: []string{"spec.selector.include[0]"}},
		{name: "an interval under a minute", mutate: func(o map[string]any) {
			set(o, "spec.interval", "30s")
		}, refused: []string{"spec.interval", "must be at least 1m"}},
		// The template's rules are the pipeline's: a production credential needs a gated environment.
		{name: "template: production registry in an environment without reviewers", mutate: func(o map[string]any) {
			set(o, "spec.template.spec.environments.1.reviewers", nil)
		}, refused: []string{"spec.template.spec.registries", "at least one reviewer"}},
		{name: "template: registry naming an undeclared environment", mutate: func(o map[string]any) {
			set(o, "spec.template.spec.registries.0.environment", "staging")
		}, refused: []string{"spec.template.spec.registries", "must name an entry of spec.environments"}},
		{name: "template: a repository is the set's to give", mutate: func(o map[string]any) {
			set(o, "spec.template.spec.repository", map[string]any{"owner": "evil", "name": "repo"})
		}, refused: []string{"spec.template.spec.repository", "unknown field"}},
		{name: "template: credentials are the set's", mutate: func(o map[string]any) {
			set(o, "spec.template.spec.github", map[string]any{"credentialsSecretRef": map[string]any{"name": "other"}})
		}, refused: []string{"spec.template.spec.github", "unknown field"}},
		{name: "github: an http API URL to a remote host", mutate: func(o map[string]any) {
			set(o, "spec.github.apiURL", "http://github.example.com/api/v3/")
		}, refused: []string{"spec.github.apiURL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := setSample(t)
			set(obj, "metadata.namespace", "default")
			tc.mutate(obj)
			err := env.Client.Create(context.Background(), &unstructured.Unstructured{Object: obj}, client.DryRunAll,
				client.FieldValidation("Strict"))
			if len(tc.refused) == 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred(), "the API server accepted an invalid SecurePipelineSet")
			for _, want := range tc.refused {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
}

// TestTemplateSpecMatchesPipelineSpec keeps the set's template in step with SecurePipeline: its schema
// (fields, defaults, bounds, CEL rules) must be the pipeline spec's without repository, github and
// suspend. A field added to SecurePipelineSpec and not to SecurePipelineTemplateSpec fails here.
func TestTemplateSpecMatchesPipelineSpec(t *testing.T) {
	g := NewWithT(t)
	load := func(name string) apiextensionsv1.JSONSchemaProps {
		b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", name))
		g.Expect(err).NotTo(HaveOccurred())
		var crd apiextensionsv1.CustomResourceDefinition
		g.Expect(yaml.Unmarshal(b, &crd)).To(Succeed())
		return *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	pipeline := load("ci.securepipeline.dev_securepipelines.yaml").Properties["spec"]
	setSchema := load("ci.securepipeline.dev_securepipelinesets.yaml")
	template := setSchema.Properties["spec"].Properties["template"].Properties["spec"]

	for _, f := range []string{"repository", "github", "suspend"} {
		delete(pipeline.Properties, f)
	}
	pipeline.Required = nil
	template.Required = nil
	// Descriptions differ on purpose (the template's point at the pipeline's); everything else may not.
	strip := func(s apiextensionsv1.JSONSchemaProps) map[string]any {
		b, _ := json.Marshal(s)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				delete(x, "description")
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(m)
		return m
	}
	g.Expect(strip(template)).To(Equal(strip(pipeline)))
}
