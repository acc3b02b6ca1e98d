//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
	"github.com/secure-pipeline/operator/test/e2e/harness"
)

// cosignVersion is the cosign CLI built by hack/build-cosign.sh (`make cosign`).
const cosignVersion = "v3.1.3"

// TestReleaseVerification checks interoperability with the real cosign CLI: on the same images in an
// in-memory registry on loopback, `cosign verify --trusted-root` (and verify-attestation) accepts what
// `securepipeline verify` accepts and rejects what it rejects.
//
// cosign's offline flags, and why: the test Sigstore has a CA and a timestamp authority but no
// transparency log and no CT log, so --insecure-ignore-tlog and --insecure-ignore-sct, with
// --use-signed-timestamps so that the TSA's time (not the current time) validates the short-lived
// certificate, exactly as the operator does with a trusted root without logs. --allow-http-registry: the
// registry is plain http on 127.0.0.1.
func TestReleaseVerification(t *testing.T) {
	g := NewWithT(t)
	root := harness.RepoRoot()
	cosign := filepath.Join(root, "bin", "cosign-"+cosignVersion, "cosign")
	securepipeline := filepath.Join(root, "bin", "securepipeline")
	for _, bin := range []string{cosign, securepipeline} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s is missing: run `make test-e2e` (it builds cosign with hack/build-cosign.sh, the CLI with make build)",
				bin)
		}
	}

	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/payments-api"
	ss, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	rootJSON, err := ss.TrustedRootJSON()
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "trusted_root.json")
	g.Expect(os.WriteFile(rootFile, rootJSON, 0o600)).To(Succeed())

	const (
		owner    = "acme/payments-api"
		workflow = ".github/workflows/release.yml"
		spdx     = "https://spdx.dev/Document"
	)
	const sig = release.CosignSignPredicateType
	id := func(wf, ref string) sigstoretest.Identity { return sigstoretest.GitHubWorkflow(owner, wf, ref) }
	// sign signs a statement about subject as who; attach attaches it to h as cosign does.
	sign := func(who sigstoretest.Identity, subject, predicateType string) []byte {
		b, err := ss.Sign(who, sigstoretest.Statement(subject, predicateType, nil))
		g.Expect(err).NotTo(HaveOccurred())
		return b
	}
	attach := func(h v1.Hash, b []byte, predicateType string) {
		g.Expect(sigstoretest.Attach(repo, h, b, predicateType)).To(Succeed())
	}
	untrusted, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	onTag := id(workflow, "refs/tags/v1.0.0")
	const shared = "acme/shared-workflows/.github/workflows/oci-release.yml"
	reusable := func(caller string) sigstoretest.Identity {
		return sigstoretest.ReusableWorkflow(caller, workflow, "refs/tags/v2.0.0", shared+"@refs/tags/v3")
	}
	otherIssuer := onTag
	otherIssuer.Issuer = "https://gitlab.example/oidc"

	cases := []struct {
		name   string
		setup  func(h v1.Hash)
		accept bool
		sbom   bool // the SBOM check (operator --require-sbom, cosign verify-attestation --type) passes
		// reusable: the policy names the shared reusable workflow, called from this repository.
		reusable bool
	}{
		{"signed by the release workflow on a tag, with an SBOM", func(h v1.Hash) {
			attach(h, sign(onTag, h.String(), sig), sig)
			attach(h, sign(onTag, h.String(), spdx), spdx)
		}, true, true, false},
		{"signed without an SBOM", func(h v1.Hash) { attach(h, sign(onTag, h.String(), sig), sig) }, true, false, false},
		{"pushed unsigned", func(v1.Hash) {}, false, false, false},
		{"signed by another workflow", func(h v1.Hash) {
			attach(h, sign(id(".github/workflows/ci.yml", "refs/tags/v1.0.0"), h.String(), sig), sig)
		}, false, false, false},
		{"signed by the release workflow on a branch", func(h v1.Hash) {
			attach(h, sign(id(workflow, "refs/heads/main"), h.String(), sig), sig)
		}, false, false, false},
		{"a certificate for another issuer", func(h v1.Hash) {
			attach(h, sign(otherIssuer, h.String(), sig), sig)
		}, false, false, false},
		{"a signature of another image", func(h v1.Hash) {
			attach(h, sign(onTag, "sha256:"+strings.Repeat("ab", 32), sig), sig)
		}, false, false, false},
		{"a tampered payload", func(h v1.Hash) {
			attach(h, releaseTamper(t, sign(onTag, h.String(), sig)), sig)
		}, false, false, false},
		{"a reusable workflow called from this repository on a tag", func(h v1.Hash) {
			attach(h, sign(reusable(owner), h.String(), sig), sig)
			attach(h, sign(reusable(owner), h.String(), spdx), spdx)
		}, true, true, true},
		{"the same reusable workflow called from another repository", func(h v1.Hash) {
			attach(h, sign(reusable("mallory/fork"), h.String(), sig), sig)
		}, false, false, true},
		{"a certificate from an untrusted root", func(h v1.Hash) {
			b, err := untrusted.Sign(onTag, sigstoretest.Statement(h.String(), sig, nil))
			g.Expect(err).NotTo(HaveOccurred())
			attach(h, b, sig)
		}, false, false, false},
	}

	identityRE := "^" + regexp.QuoteMeta("https://github.com/"+owner+"/"+workflow+"@refs/tags/v") + ".*$"
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			h, err := sigstoretest.PushRandomImage(repo + ":rel" + string(rune('a'+i)))
			g.Expect(err).NotTo(HaveOccurred())
			tc.setup(h)
			image := repo + "@" + h.String()

			wf, identity, extra := workflow, identityRE, make([]string, 0, 12)
			if tc.reusable {
				// cosign's equivalent of "called from this repository": the workflow-repository extension.
				wf, identity = shared, "^"+regexp.QuoteMeta("https://github.com/"+shared+"@")+".*$"
				extra = append(extra, "--certificate-github-workflow-repository", owner)
			}
			opCode, opOut := releaseRun(t, securepipeline, "verify", image, "--repository", owner, "--workflow", wf,
				"--ref-pattern", "refs/tags/v*", "--trusted-root", rootFile)
			g.Expect(opCode).To(Equal(map[bool]int{true: 0, false: 1}[tc.accept]), "securepipeline verify:\n%s", opOut)

			cosignArgs := append(extra, "--trusted-root", rootFile, "--certificate-identity-regexp", identity,
				"--certificate-oidc-issuer", release.DefaultIssuer, "--insecure-ignore-tlog=true", "--insecure-ignore-sct=true",
				"--use-signed-timestamps", "--allow-http-registry")
			code, out := releaseRun(t, cosign, append(append([]string{"verify"}, cosignArgs...), image)...)
			t.Logf("cosign verify: exit %d\n%s", code, out)
			g.Expect(code == 0).To(Equal(tc.accept), //nolint:ginkgolinter // agreement, not a particular code
				"cosign verify disagrees with the operator (operator accepts: %v):\n%s", tc.accept, out)

			opCode, opOut = releaseRun(t, securepipeline, "verify", image, "--repository", owner, "--workflow", wf,
				"--ref-pattern", "refs/tags/v*", "--trusted-root", rootFile, "--require-sbom")
			g.Expect(opCode).To(Equal(map[bool]int{true: 0, false: 1}[tc.sbom]),
				"securepipeline verify --require-sbom:\n%s", opOut)
			attArgs := append([]string{"verify-attestation", "--type", spdx}, cosignArgs...)
			code, out = releaseRun(t, cosign, append(attArgs, image)...)
			g.Expect(code == 0).To(Equal(tc.sbom), //nolint:ginkgolinter // agreement, not a particular code
				"cosign verify-attestation --type %s disagrees with the operator (operator accepts: %v):\n%s", spdx, tc.sbom, out)
		})
	}
}

// releaseRun runs a binary with a private HOME (cosign must not read or write the user's Sigstore cache)
// and returns its exit code and combined output.
func releaseRun(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return 0, out.String()
}

// releaseTamper replaces the statement's predicate in a bundle's DSSE envelope, keeping the signature.
func releaseTamper(t *testing.T, bundle []byte) []byte {
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
	payload = bytes.Replace(payload, []byte(`"predicate":{}`), []byte(`"predicate":{"tampered":true}`), 1)
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
