package controller_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

// A pipeline verifies its repository's releases: one signed through cosign's OCI referrers, one attested
// only through GitHub's artifact attestations API, one pushed unsigned. ReleasesVerified reports the
// unsigned one with an event, while Ready stays True until affectsReady asks otherwise.
func TestReleaseVerificationStory(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/web"
	ss, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	rootJSON, err := ss.TrustedRootJSON()
	g.Expect(err).NotTo(HaveOccurred())
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sigstore-root"}, Data: map[string]string{"trusted_root.json": string(rootJSON)}})

	sign := func(ref, digest, predicateType string) []byte {
		b, err := ss.Sign(sigstoretest.GitHubWorkflow("acme/web", ".github/workflows/release.yml", ref), sigstoretest.Statement(digest, predicateType, nil))
		g.Expect(err).NotTo(HaveOccurred())
		return b
	}
	// v1.0.0: cosign sign + cosign attest (SPDX), as OCI referrers.
	d1, err := sigstoretest.PushRandomImage(repo + ":v1.0.0")
	g.Expect(err).NotTo(HaveOccurred())
	for _, pt := range []string{release.CosignSignPredicateType, "https://spdx.dev/Document"} {
		g.Expect(sigstoretest.Attach(repo, d1, sign("refs/tags/v1.0.0", d1.String(), pt), pt)).To(Succeed())
	}
	// v1.1.0: actions/attest-build-provenance and actions/attest-sbom, on GitHub only.
	d2, err := sigstoretest.PushRandomImage(repo + ":v1.1.0")
	g.Expect(err).NotTo(HaveOccurred())
	sim.AddAttestation("acme", "web", d2.String(), sign("refs/tags/v1.1.0", d2.String(), "https://slsa.dev/provenance/v1"))
	sim.AddAttestation("acme", "web", d2.String(), sign("refs/tags/v1.1.0", d2.String(), "https://cyclonedx.org/bom"))
	// v1.2.0: pushed by hand.
	d3, err := sigstoretest.PushRandomImage(repo + ":v1.2.0")
	g.Expect(err).NotTo(HaveOccurred())

	p := pipeline(ns, "web", sim)
	p.Spec.ReleaseVerification = &civ1alpha1.ReleaseVerification{
		Images:         []civ1alpha1.ReleaseImage{{Repository: repo, Tags: civ1alpha1.ReleaseTagSelector{Pattern: "v*", Newest: 5}}},
		Signer:         civ1alpha1.ReleaseSigner{Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/v*"},
		TrustedRootRef: &civ1alpha1.ConfigMapReference{Name: "sigstore-root"},
	}
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, civ1alpha1.UnsignedReason)
	g.Expect(condition(got, civ1alpha1.ReleasesVerifiedCondition).Message).To(ContainSubstring("1 of 3 release(s) not verified; first: " + repo + ":v1.2.0"))
	got = waitReady(t, key)
	g.Expect(got.Status.Releases).To(HaveLen(3))
	byTag := map[string]civ1alpha1.ReleaseStatus{}
	for _, st := range got.Status.Releases {
		byTag[st.Tag] = st
	}
	g.Expect(byTag["v1.0.0"]).To(releaseWith(d1.String(), true, "SPDX", false))
	g.Expect(byTag["v1.1.0"]).To(releaseWith(d2.String(), true, "CycloneDX", true))
	g.Expect(byTag["v1.2.0"]).To(releaseWith(d3.String(), false, "", false))
	g.Expect(byTag["v1.1.0"].Signer.SAN).To(Equal("https://github.com/acme/web/.github/workflows/release.yml@refs/tags/v1.1.0"))
	g.Expect(sim.Requests()).To(ContainElement(HaveField("Route", "GET /repos/{owner}/{repo}/attestations/{subject_digest}")))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).WithPolling(poll).Should(
		ContainElement(ContainSubstring("Warning ReleaseUnverified: " + repo + ":v1.2.0 (" + d3.String() + ") is not verified: Unsigned")))

	// affectsReady: the unsigned release now keeps the pipeline from Ready.
	got = get(t, key)
	patch := client.MergeFrom(got.DeepCopy())
	got.Spec.ReleaseVerification.AffectsReady = true
	g.Expect(k8s.Patch(ctx, got, patch)).To(Succeed())
	waitFor(t, key, civ1alpha1.ReadyCondition, metav1.ConditionFalse, civ1alpha1.UnsignedReason)
}

// releaseWith matches a ReleaseStatus's digest, verified, SBOM format and provenance.
func releaseWith(digest string, verified bool, sbom string, provenance bool) OmegaMatcher {
	return And(HaveField("Digest", digest), HaveField("Verified", verified), HaveField("SBOMFormat", sbom), HaveField("Provenance", provenance))
}
