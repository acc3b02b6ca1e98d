package github

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestAttestations(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	a, ok := c.(AttestationsReader)
	g.Expect(ok).To(BeTrue(), "the client reads artifact attestations")

	digest := "sha256:" + strings.Repeat("ab", 32)
	got, err := a.Attestations(ctx, "acme", "widgets", digest)
	g.Expect(err).NotTo(HaveOccurred(), "GitHub's 404 for a digest without attestations is none, not an error")
	g.Expect(got).To(BeEmpty())

	bundle := `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30="}}`
	f.sim.AddAttestation("acme", "widgets", digest, []byte(bundle))
	got, err = a.Attestations(ctx, "acme", "widgets", digest)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(1))
	g.Expect(got[0]).To(MatchJSON(bundle))
	g.Expect(f.sim.Requests()).To(ContainElement(HaveField("Route", "GET /repos/{owner}/{repo}/attestations/{subject_digest}")))

	// A digest is one path segment: anything else is refused before a request is made.
	for _, bad := range []string{"sha256:../../collaborators", "sha256:" + strings.Repeat("ab", 31) + "%2f", "sha512:" + strings.Repeat("ab", 64)} {
		_, err = a.Attestations(ctx, "acme", "widgets", bad)
		g.Expect(err).To(MatchError(ContainSubstring("not a sha256 digest")), bad)
	}
}
