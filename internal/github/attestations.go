package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
)

// sha256Digest is the only subject digest form asked for: it goes into the path as one segment.
var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// maxAttestations bounds the bundles read per digest: one page of GitHub's largest size.
const maxAttestations = 100

// AttestationsReader reads GitHub's artifact attestations (what actions/attest-build-provenance and
// actions/attest-sbom record). It is a small interface of its own, so release verification needs nothing
// else of the client.
type AttestationsReader interface {
	// Attestations returns the Sigstore bundles (JSON) GitHub holds for subject digest "sha256:<hex>" in
	// owner/repo. None is an empty list, not an error.
	Attestations(ctx context.Context, owner, repo, digest string) ([][]byte, error)
}

var _ AttestationsReader = (*client)(nil)

// Attestations implements AttestationsReader with GET /repos/{owner}/{repo}/attestations/{subject_digest}.
func (c *client) Attestations(ctx context.Context, owner, repo, digest string) ([][]byte, error) {
	if !sha256Digest.MatchString(digest) {
		return nil, fmt.Errorf("reading the attestations of %s in %s/%s: not a sha256 digest", digest, owner, repo)
	}
	var body struct {
		Attestations []struct {
			Bundle json.RawMessage `json:"bundle"`
		} `json:"attestations"`
	}
	path := fmt.Sprintf("repos/%s/%s/attestations/%s?per_page=%d", esc(owner), esc(repo), digest, maxAttestations)
	_, err := c.do(ctx, http.MethodGet, path, nil, &body)
	switch {
	case IsNotFound(err):
		return nil, nil // GitHub answers 404 for a digest without attestations
	case err != nil:
		return nil, fail(err, "reading the attestations of %s in %s/%s", digest, owner, repo)
	}
	var out [][]byte
	for _, a := range body.Attestations {
		if len(a.Bundle) > 0 && len(out) < maxAttestations {
			out = append(out, a.Bundle)
		}
	}
	return out, nil
}
