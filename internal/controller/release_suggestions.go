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

// PublishingInventory says what a repository's workflows publish. The default reads the workflow audit's
// publishing inventory (status.publishing, written by the audit concern, which runs first); tests may hand
// in another.
type PublishingInventory interface {
	PublishedImages(p *civ1alpha1.SecurePipeline) []PublishedImage
}

// publishingFromStatus reads status.publishing: its image jobs, with the images resolved to a repository.
type publishingFromStatus struct{}

func (publishingFromStatus) PublishedImages(p *civ1alpha1.SecurePipeline) []PublishedImage {
	var out []PublishedImage
	for _, job := range p.Status.Publishing {
		if job.Kind != "image" {
			continue
		}
		for _, img := range job.Images {
			out = append(out, PublishedImage{Repository: repositoryOf(img), Workflow: job.Workflow})
		}
	}
	return out
}

// repositoryOf drops an image reference's digest and tag: "ghcr.io/acme/app:v1" is ghcr.io/acme/app.
func repositoryOf(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// releaseSuggestions turns what the repository publishes into spec.releaseVerification entries the user has
// not written yet, so a user starts from what the repository really publishes.
func releaseSuggestions(p *civ1alpha1.SecurePipeline, inv PublishingInventory) []civ1alpha1.ReleaseSuggestion {
	if inv == nil {
		inv = publishingFromStatus{}
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
		// Only concrete repositories with a registry host: an expression-built name (${{ ... }}) is not
		// something to verify, nor an image without a host (Docker Hub's short names are ambiguous here).
		host, _, hasPath := strings.Cut(repo, "/")
		if repo == "" || !hasPath || !strings.ContainsAny(host, ".:") || strings.ContainsAny(repo, "${}@ ") ||
			strings.Contains(repo[strings.LastIndex(repo, "/")+1:], ":") {
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
