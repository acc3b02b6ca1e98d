//nolint:goconst // test tables repeat identities, paths and field names on purpose
package validation

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestReleaseVerificationValidation checks admission of spec.releaseVerification: workflow paths under
// .github/workflows/, valid patterns and Secret names, a sane interval.
func TestReleaseVerificationValidation(t *testing.T) {
	rv := func(mutate func(rv map[string]any)) func(map[string]any) {
		return func(o map[string]any) {
			v := map[string]any{
				"images": []any{map[string]any{"repository": "registry.acme.example/payments-api",
					"pullSecretRef": map[string]any{"name": "prod-registry-pull"},
					"tags":          map[string]any{"pattern": "v*", "newest": 5}}},
				"signer":         map[string]any{"workflow": ".github/workflows/release.yml", "refPattern": "refs/tags/v*"},
				"sbom":           "Required",
				"provenance":     "Optional",
				"trustedRootRef": map[string]any{"name": "sigstore-trusted-root"},
				"interval":       "1h",
			}
			mutate(v)
			set(o, "spec.releaseVerification", v)
		}
	}
	signer := func(k string, v any) func(map[string]any) {
		return rv(func(rv map[string]any) { rv["signer"].(map[string]any)[k] = v })
	}
	image := func(k string, v any) func(map[string]any) {
		return rv(func(rv map[string]any) { rv["images"].([]any)[0].(map[string]any)[k] = v })
	}
	cases := []validationCase{
		{name: "the issue's example", mutate: rv(func(map[string]any) {})},
		{name: "a reusable workflow of another repository",
			mutate: signer("workflow", "acme/shared-workflows/.github/workflows/oci-release.yaml")},
		{name: "a workflow outside .github/workflows", mutate: signer("workflow", "scripts/release.yml"),
			refused: []string{"spec.releaseVerification.signer.workflow"}},
		{name: "a workflow path climbing out", mutate: signer("workflow", ".github/workflows/../../evil.yml"),
			refused: []string{"spec.releaseVerification.signer.workflow"}},
		{name: "a workflow in a sub-folder", mutate: signer("workflow", ".github/workflows/sub/release.yml"),
			refused: []string{"spec.releaseVerification.signer.workflow"}},
		{name: "a ref pattern that is not a ref", mutate: signer("refPattern", "v*"),
			refused: []string{"spec.releaseVerification.signer.refPattern"}},
		{name: "an http issuer", mutate: signer("issuer", "http://token.actions.githubusercontent.com"),
			refused: []string{"spec.releaseVerification.signer.issuer"}},
		{name: "a repository with a tag", mutate: image("repository", "registry.acme.example/payments-api:v1"),
			refused: []string{"spec.releaseVerification.images[0].repository"}},
		{name: "a repository with upper case", mutate: image("repository", "registry.acme.example/Payments"),
			refused: []string{"spec.releaseVerification.images[0].repository"}},
		{name: "a pull Secret name that is not a name", mutate: image("pullSecretRef", map[string]any{"name": "../other-ns"}),
			refused: []string{"spec.releaseVerification.images[0].pullSecretRef.name"}},
		{name: "a pull Secret in another namespace",
			mutate:  image("pullSecretRef", map[string]any{"name": "pull", "namespace": "kube-system"}),
			refused: []string{"unknown field", "namespace"}},
		{name: "a tag pattern with a slash", mutate: image("tags", map[string]any{"pattern": "v*/x"}),
			refused: []string{"spec.releaseVerification.images[0].tags.pattern"}},
		{name: "21 newest tags", mutate: image("tags", map[string]any{"newest": 21}),
			refused: []string{"spec.releaseVerification.images[0].tags.newest"}},
		{name: "sbom Maybe", mutate: rv(func(rv map[string]any) { rv["sbom"] = "Maybe" }),
			refused: []string{"spec.releaseVerification.sbom"}},
		{name: "an interval of 30s", mutate: rv(func(rv map[string]any) { rv["interval"] = "30s" }),
			refused: []string{"spec.releaseVerification.interval", "at least 1m"}},
		{name: "no images", mutate: rv(func(rv map[string]any) { rv["images"] = []any{} }),
			refused: []string{"spec.releaseVerification.images"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := sample(t)
			set(obj, "metadata.namespace", "default")
			tc.mutate(obj)
			u := &unstructured.Unstructured{Object: obj}
			err := env.Client.Create(context.Background(), u, client.DryRunAll, client.FieldValidation("Strict"))
			if len(tc.refused) == 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred(), "the API server accepted an invalid SecurePipeline")
			for _, want := range tc.refused {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
}
