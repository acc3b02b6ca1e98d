//nolint:goconst // test tables repeat identities, paths and field names on purpose
package release_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

// TestVerifyReasons covers each reason a release is (not) verified, on images in an in-memory registry
// signed by the test Sigstore, with bundles attached as cosign v3 attaches them.
func TestVerifyReasons(t *testing.T) {
	for _, referrersAPI := range []bool{true, false} {
		name := "referrers API"
		if !referrersAPI {
			name = "referrers tag fallback"
		}
		t.Run(name, func(t *testing.T) {
			var opts []registry.Option
			if referrersAPI {
				opts = append(opts, registry.WithReferrersSupport(true))
			}
			testReasons(t, newFixture(t, opts...))
		})
	}
}

func testReasons(t *testing.T, f *fixture) {
	cases := []struct {
		name    string
		setup   func(h v1.Hash)
		reason  string
		message string
		sbom    string
	}{
		{"signed release with an SPDX SBOM", func(h v1.Hash) {
			f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
			f.attach(h, releaseID("refs/tags/v1.0.0"), spdx)
		}, release.ReasonVerified, "signed by https://github.com/acme/payments-api/.github/workflows/release.yml@refs/tags/v1.0.0", "SPDX"},
		{"attested only (actions/attest-sbom), no cosign signature", func(h v1.Hash) {
			f.attach(h, releaseID("refs/tags/v1.0.1"), cyclonedx)
		}, release.ReasonVerified, "CycloneDX SBOM", "CycloneDX"},
		{"pushed unsigned", func(v1.Hash) {}, release.ReasonUnsigned, "no Sigstore bundle refers to", ""},
		{"signed by another workflow", func(h v1.Hash) {
			id := sigstoretest.GitHubWorkflow(repoName, ".github/workflows/ci.yml", "refs/tags/v1.0.0")
			f.attach(h, id, cosignSign)
			f.attach(h, id, spdx)
		}, release.ReasonWrongSigner, "signed by workflow https://github.com/acme/payments-api/.github/workflows/ci.yml@refs/tags/v1.0.0", ""},
		{"the right workflow on a branch when only v* tags may sign", func(h v1.Hash) {
			f.attach(h, releaseID("refs/heads/main"), cosignSign)
		}, release.ReasonWrongSigner, `signed on ref "refs/heads/main", which does not match "refs/tags/v*"`, ""},
		{"a certificate from another issuer", func(h v1.Hash) {
			id := releaseID("refs/tags/v1.0.0")
			id.Issuer = "https://gitlab.example/oidc"
			f.attach(h, id, cosignSign)
		}, release.ReasonWrongSigner, `issued for OIDC issuer "https://gitlab.example/oidc"`, ""},
		{"a look-alike repository", func(h v1.Hash) {
			f.attach(h, sigstoretest.GitHubWorkflow("acme/payments-api-evil", workflow, "refs/tags/v1.0.0"), cosignSign)
		}, release.ReasonWrongSigner, `signed in repository "https://github.com/acme/payments-api-evil"`, ""},
		{"a path alias of the workflow", func(h v1.Hash) {
			f.attach(h, sigstoretest.GitHubWorkflow(repoName, ".github/workflows/../workflows/release.yml", "refs/tags/v1.0.0"), cosignSign)
		}, release.ReasonWrongSigner, "signed by workflow", ""},
		{"GitHub's canonical case of the owner", func(h v1.Hash) {
			id := sigstoretest.GitHubWorkflow("Acme/Payments-API", workflow, "refs/tags/v1.0.0")
			f.attach(h, id, cosignSign)
			f.attach(h, id, spdx)
		}, release.ReasonVerified, "", "SPDX"},
		{"signed without an SBOM", func(h v1.Hash) {
			f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
		}, release.ReasonSBOMMissing, "has no SBOM attestation", ""},
		{"an SBOM signed by another workflow", func(h v1.Hash) {
			f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
			f.attach(h, sigstoretest.GitHubWorkflow(repoName, ".github/workflows/ci.yml", "refs/heads/main"), spdx)
		}, release.ReasonSBOMUnsigned, "no signature of", ""},
		{"a tampered payload", func(h v1.Hash) {
			b := f.sign(releaseID("refs/tags/v1.0.0"), h.String(), cosignSign)
			f.attachBundle(h, tamper(t, b, func(stmt map[string]any) { stmt["predicate"] = map[string]any{"evil": true} }), cosignSign)
		}, release.ReasonInvalidSignature, "none of the 1 bundle(s)", ""},
		{"a valid signature of another image", func(h v1.Hash) {
			other := "sha256:" + strings.Repeat("ab", 32)
			f.attachBundle(h, f.sign(releaseID("refs/tags/v1.0.0"), other, cosignSign), cosignSign)
		}, release.ReasonInvalidSignature, "none of the 1 bundle(s)", ""},
		{"a certificate from an untrusted root", func(h v1.Hash) {
			untrusted, err := sigstoretest.New()
			if err != nil {
				t.Fatal(err)
			}
			b, err := untrusted.Sign(releaseID("refs/tags/v1.0.0"), sigstoretest.Statement(h.String(), cosignSign, nil))
			if err != nil {
				t.Fatal(err)
			}
			f.attachBundle(h, b, cosignSign)
		}, release.ReasonInvalidSignature, "unable to verify signed timestamps", ""},
		{"a reusable workflow of another repository, called from this one on a tag", func(h v1.Hash) {
			f.policy.Workflow = "acme/shared-workflows/.github/workflows/oci-release.yml"
			id := sigstoretest.ReusableWorkflow(repoName, ".github/workflows/release.yml", "refs/tags/v2.0.0", "acme/shared-workflows/.github/workflows/oci-release.yml@refs/tags/v3")
			f.attach(h, id, cosignSign)
			f.attach(h, id, spdx)
		}, release.ReasonVerified, "", "SPDX"},
		{"the same reusable workflow called from another repository", func(h v1.Hash) {
			f.policy.Workflow = "acme/shared-workflows/.github/workflows/oci-release.yml"
			id := sigstoretest.ReusableWorkflow("mallory/fork", ".github/workflows/release.yml", "refs/tags/v2.0.0", "acme/shared-workflows/.github/workflows/oci-release.yml@refs/tags/v3")
			f.attach(h, id, cosignSign)
		}, release.ReasonWrongSigner, `signed in repository "https://github.com/mallory/fork"`, ""},
		{"the reusable workflow called from this repository on a branch", func(h v1.Hash) {
			f.policy.Workflow = "acme/shared-workflows/.github/workflows/oci-release.yml"
			id := sigstoretest.ReusableWorkflow(repoName, ".github/workflows/release.yml", "refs/heads/main", "acme/shared-workflows/.github/workflows/oci-release.yml@refs/tags/v3")
			f.attach(h, id, cosignSign)
		}, release.ReasonWrongSigner, `signed on ref "refs/heads/main"`, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			saved := f.policy
			defer func() { f.policy = saved }()
			h := f.push("v0." + string(rune('a'+i)))
			tc.setup(h)
			res := f.verify(h)
			g.Expect(res.Reason).To(Equal(tc.reason), res.Message)
			g.Expect(res.Verified).To(Equal(tc.reason == release.ReasonVerified))
			g.Expect(res.Message).To(ContainSubstring(tc.message))
			g.Expect(res.SBOMFormat).To(Equal(tc.sbom))
			g.Expect(res.Digest).To(Equal(h.String()))
		})
	}
}

// tamper rewrites the DSSE payload of a bundle, keeping its signature.
func tamper(t *testing.T, bundle []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var stmt map[string]any
	if err := json.Unmarshal(payload, &stmt); err != nil {
		t.Fatal(err)
	}
	edit(stmt)
	payload, _ = json.Marshal(stmt)
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	out, _ := json.Marshal(b)
	return out
}

func TestVerifyRequiresProvenanceWhenAsked(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	f.policy.RequireProvenance = true
	h := f.push("v1.0.0")
	f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
	f.attach(h, releaseID("refs/tags/v1.0.0"), spdx)
	res := f.verify(h)
	g.Expect(res.Reason).To(Equal(release.ReasonProvenanceMissing), res.Message)

	f.attach(h, releaseID("refs/tags/v1.0.0"), slsa)
	res = f.verify(h)
	g.Expect(res.Reason).To(Equal(release.ReasonVerified), res.Message)
	g.Expect(res.Provenance).To(BeTrue())
	g.Expect(res.Signer.WorkflowSHA).NotTo(BeEmpty())
	g.Expect(res.Signer.Ref).To(Equal("refs/tags/v1.0.0"))
	g.Expect(res.Signer.Issuer).To(Equal(release.DefaultIssuer))
}

// A BuildKit image index carries an SBOM in an attestation manifest that no signature covers.
func TestVerifyUnsignedBuildKitSBOM(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	h, err := sigstoretest.PushBuildKitIndex(f.repo() + ":v1.0.0")
	g.Expect(err).NotTo(HaveOccurred())
	f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
	res := f.verify(h)
	g.Expect(res.Reason).To(Equal(release.ReasonSBOMUnsigned), res.Message)
	g.Expect(res.Message).To(ContainSubstring("BuildKit"))
}

// cosign v2's legacy tags are named in the reason: they are not verified, and the user learns why.
func TestVerifyNamesLegacyCosignTags(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	h := f.push("v1.0.0")
	f.push("sha256-" + h.Hex + ".sig")
	res := f.verify(h)
	g.Expect(res.Reason).To(Equal(release.ReasonUnsigned))
	g.Expect(res.Message).To(ContainSubstring("legacy signature tag sha256-" + h.Hex + ".sig"))
}

// GitHub's artifact attestations are a second source of bundles.
func TestVerifyGitHubAttestations(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	h := f.push("v1.0.0")
	gh := attestations{h.String(): {f.sign(releaseID("refs/tags/v1.0.0"), h.String(), slsa), f.sign(releaseID("refs/tags/v1.0.0"), h.String(), spdx)}}
	v := &release.Verifier{Root: f.root, GitHub: gh}
	res, err := v.Verify(context.Background(), f.registry(), h, f.policy)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Reason).To(Equal(release.ReasonVerified), res.Message)
	g.Expect(res.Provenance).To(BeTrue())
	g.Expect(res.Bundles).To(Equal(2))
}

type attestations map[string][][]byte

func (a attestations) Attestations(_ context.Context, digest string) ([][]byte, error) {
	return a[digest], nil
}

type failingAttestations struct{}

func (failingAttestations) Attestations(context.Context, string) ([][]byte, error) {
	return nil, errors.New("403 Resource not accessible by personal access token")
}

// GitHub's attestations API failing does not hide what the registry's bundles prove, and says so otherwise.
func TestVerifyGitHubAttestationsUnreadable(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	v := &release.Verifier{Root: f.root, GitHub: failingAttestations{}}
	signed := f.push("v1.0.0")
	f.attach(signed, releaseID("refs/tags/v1.0.0"), cosignSign)
	f.attach(signed, releaseID("refs/tags/v1.0.0"), spdx)
	res, err := v.Verify(context.Background(), f.registry(), signed, f.policy)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Reason).To(Equal(release.ReasonVerified), res.Message)
	g.Expect(res.Partial).To(BeTrue())

	unsigned := f.push("v1.1.0")
	res, err = v.Verify(context.Background(), f.registry(), unsigned, f.policy)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Reason).To(Equal(release.ReasonUnsigned))
	g.Expect(res.Partial).To(BeTrue(), "not to be cached: GitHub may hold its attestations")
	g.Expect(res.Message).To(ContainSubstring("GitHub's artifact attestations could not be read: 403"))
}
