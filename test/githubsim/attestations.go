package githubsim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// This file serves GET /repos/{owner}/{repo}/attestations/{subject_digest}: the artifact attestations
// (Sigstore bundles) that actions/attest-build-provenance and actions/attest-sbom record, seeded with
// AddAttestation. GitHub answers 404 for a digest without attestations.

const docsAttestations = "https://docs.github.com/rest/repos/repos#list-attestations"

// AddAttestation records a Sigstore bundle (JSON) for subject digest "sha256:<hex>" of owner/repo.
func (s *Server) AddAttestation(owner, repo, digest string, bundle []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repos[repoKey(owner, repo)]; r != nil {
		if r.attestations == nil {
			r.attestations = map[string][][]byte{}
		}
		r.attestations[digest] = append(r.attestations[digest], append([]byte(nil), bundle...))
	}
}

func (s *Server) listAttestations(c *call) *reply {
	r, rep := c.repo(docsAttestations)
	if rep != nil {
		return rep
	}
	digest := c.param("subject_digest")
	if !strings.HasPrefix(digest, "sha256:") && !strings.HasPrefix(digest, "sha512:") {
		return notFound(docsAttestations)
	}
	bundles := r.attestations[digest]
	if len(bundles) == 0 {
		return notFound(docsAttestations)
	}
	list := make([]any, 0, len(bundles))
	for _, b := range bundles {
		list = append(list, map[string]any{"bundle": json.RawMessage(b), "repository_id": r.ID})
	}
	return &reply{status: http.StatusOK, body: map[string]any{"attestations": list}}
}
