//go:build e2e

package e2e

import (
	"testing"

	. "github.com/onsi/gomega"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// publishingInventory: the operator read the default branch's git tree (not only .github/workflows),
// followed "make image" into the Makefile, and lists the job in status.publishing with how it signs and
// makes its SBOM, so SP005/SP006 are not reported for it.
func (s *suite) publishingInventory(t *testing.T) {
	g := NewWithT(t)
	p := s.pipeline(t)
	g.Expect(p.Status.PublishingCount).To(Equal(int32(1)))
	g.Expect(p.Status.Publishing).To(ConsistOf(civ1alpha1.PublishingJob{
		Workflow: ".github/workflows/release.yml", Job: "image", Kind: "image", Mechanism: "make",
		Images: []string{"ghcr.io/acme/payments-api:latest"}, Signing: "keyless", SBOM: "true", SBOMKind: "buildkit",
		Evidence: []string{"Makefile:5", "Makefile:3"},
	}))
	for _, f := range p.Status.Findings {
		g.Expect(f.Rule).NotTo(BeElementOf("SP005", "SP006"), f.Message)
	}
}
