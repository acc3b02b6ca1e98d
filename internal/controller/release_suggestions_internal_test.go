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
	g.Expect(releaseSuggestions(p, nil)).To(BeNil(), "nothing published, no suggestions")

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

// The default inventory is the workflow audit's status.publishing.
func TestReleaseSuggestionsFromStatusPublishing(t *testing.T) {
	g := NewWithT(t)
	p := &civ1alpha1.SecurePipeline{}
	p.Status.Publishing = []civ1alpha1.PublishingJob{
		{Workflow: ".github/workflows/release.yml", Job: "image", Kind: "image",
			Images: []string{"ghcr.io/acme/payments-api:${{ github.ref_name }}", "ghcr.io/acme/payments-api@sha256:abc", "payments-api"}},
		{Workflow: ".github/workflows/release.yml", Job: "binaries", Kind: "release-artifact", Images: []string{"ghcr.io/acme/not-an-image"}},
		{Workflow: ".github/workflows/ci.yml", Job: "push", Kind: "image", Images: []string{"registry.acme.example:5000/team/app:latest"}},
	}
	g.Expect(releaseSuggestions(p, nil)).To(Equal([]civ1alpha1.ReleaseSuggestion{
		{Repository: "ghcr.io/acme/payments-api", Workflow: ".github/workflows/release.yml"},
		{Repository: "registry.acme.example:5000/team/app", Workflow: ".github/workflows/ci.yml"},
	}))
}
