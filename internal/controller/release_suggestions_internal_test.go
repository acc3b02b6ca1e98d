//nolint:goconst // test tables repeat identities, paths and field names on purpose
package controller

import (
	"testing"

	. "github.com/onsi/gomega"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

type inventory []PublishedImage

func (i inventory) PublishedImages(*civ1alpha1.SecurePipeline) []PublishedImage { return i }

func TestReleaseSuggestions(t *testing.T) {
	g := NewWithT(t)
	p := &civ1alpha1.SecurePipeline{}
	g.Expect(releaseSuggestions(p, nil)).To(BeNil(), "no inventory, no suggestions")

	inv := inventory{
		{Repository: "ghcr.io/acme/payments-api", Workflow: ".github/workflows/release.yml"},
		{Repository: "GHCR.io/acme/payments-api", Workflow: ".github/workflows/release.yml"}, // the same, as registries compare
		{Repository: "ghcr.io/acme/payments-api", Workflow: ".github/workflows/nightly.yml"},
		{Repository: "ghcr.io/acme/${{ matrix.image }}", Workflow: ".github/workflows/matrix.yml"},
		{Repository: "ghcr.io/acme/tools:latest", Workflow: ".github/workflows/tools.yml"},
		{Repository: "registry.acme.example/already-verified", Workflow: ".github/workflows/release.yml"},
	}
	p.Spec.ReleaseVerification = &civ1alpha1.ReleaseVerification{Images: []civ1alpha1.ReleaseImage{{Repository: "registry.acme.example/already-verified"}}}
	g.Expect(releaseSuggestions(p, inv)).To(Equal([]civ1alpha1.ReleaseSuggestion{
		{Repository: "ghcr.io/acme/payments-api", Workflow: ".github/workflows/nightly.yml"},
		{Repository: "ghcr.io/acme/payments-api", Workflow: ".github/workflows/release.yml"},
	}))
}
