package controller

import (
	"cmp"
	"slices"
	"strings"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// maxReleaseSuggestions bounds status.releaseSuggestions.
const maxReleaseSuggestions = 20

// PublishedImage is an image repository a workflow of the pipeline's repository pushes to.
type PublishedImage struct {
	// Repository is the OCI repository, e.g. ghcr.io/acme/payments-api.
	Repository string
	// Workflow is the pushing workflow's path, e.g. .github/workflows/release.yml.
	Workflow string
}

// PublishingInventory says what a repository's workflows publish. The workflow audit's publishing inventory
// (status.publishing, issue #11) is meant to implement it; SecurePipelineReconciler.Publishing is nil until
// then, and no suggestions are made.
type PublishingInventory interface {
	PublishedImages(p *civ1alpha1.SecurePipeline) []PublishedImage
}

// releaseSuggestions turns what the repository publishes into spec.releaseVerification entries the user has
// not written yet, so a user starts from what the repository really publishes.
func releaseSuggestions(p *civ1alpha1.SecurePipeline, inv PublishingInventory) []civ1alpha1.ReleaseSuggestion {
	if inv == nil {
		return nil
	}
	have := map[string]bool{}
	if rv := p.Spec.ReleaseVerification; rv != nil {
		for _, img := range rv.Images {
			have[strings.ToLower(img.Repository)] = true
		}
	}
	seen := map[string]bool{}
	var out []civ1alpha1.ReleaseSuggestion
	for _, pub := range inv.PublishedImages(p) {
		repo := strings.ToLower(strings.TrimSpace(pub.Repository))
		// Only concrete repositories: an expression-built name (${{ ... }}) or a tag is not something to verify.
		if repo == "" || strings.ContainsAny(repo, "${}@ ") || strings.Contains(repo[strings.LastIndex(repo, "/")+1:], ":") {
			continue
		}
		if have[repo] || seen[repo+"\x00"+pub.Workflow] {
			continue
		}
		seen[repo+"\x00"+pub.Workflow] = true
		out = append(out, civ1alpha1.ReleaseSuggestion{Repository: repo, Workflow: pub.Workflow})
	}
	slices.SortFunc(out, func(a, b civ1alpha1.ReleaseSuggestion) int {
		return cmp.Or(cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Workflow, b.Workflow))
	})
	if len(out) > maxReleaseSuggestions {
		out = out[:maxReleaseSuggestions]
	}
	return out
}
