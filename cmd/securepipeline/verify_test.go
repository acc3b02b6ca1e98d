//nolint:goconst // test tables repeat identities, paths and field names on purpose
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

func TestVerifyCommand(t *testing.T) {
	g := NewWithT(t)
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/payments-api"
	ss, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	rootJSON, err := ss.TrustedRootJSON()
	g.Expect(err).NotTo(HaveOccurred())
	rootFile := filepath.Join(t.TempDir(), "trusted_root.json")
	g.Expect(os.WriteFile(rootFile, rootJSON, 0o600)).To(Succeed())

	h, err := sigstoretest.PushRandomImage(repo + ":v1.0.0")
	g.Expect(err).NotTo(HaveOccurred())
	id := sigstoretest.GitHubWorkflow("acme/payments-api", ".github/workflows/release.yml", "refs/tags/v1.0.0")
	b, err := ss.Sign(id, sigstoretest.Statement(h.String(), release.CosignSignPredicateType, nil))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sigstoretest.Attach(repo, h, b, release.CosignSignPredicateType)).To(Succeed())

	verify := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"verify"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	base := []string{"--repository", "acme/payments-api", "--workflow", ".github/workflows/release.yml",
		"--trusted-root", rootFile}

	code, out, _ := verify(append([]string{repo + ":v1.0.0", "--ref-pattern", "refs/tags/v*"}, base...)...)
	g.Expect(code).To(Equal(0), out)
	g.Expect(out).To(ContainSubstring(repo + ":v1.0.0 " + h.String() + ": VERIFIED"))
	g.Expect(out).To(ContainSubstring(
		"signer:     https://github.com/acme/payments-api/.github/workflows/release.yml@refs/tags/v1.0.0"))

	// By digest, JSON, and an SBOM required that is not there: exit 1 with the reason.
	code, out, _ = verify(append([]string{repo + "@" + h.String(), "--require-sbom", "--format", "json"}, base...)...)
	g.Expect(code).To(Equal(1), out)
	var res map[string]any
	g.Expect(json.Unmarshal([]byte(out), &res)).To(Succeed())
	g.Expect(res["reason"]).To(Equal(release.ReasonSBOMMissing))
	g.Expect(res["verified"]).To(BeFalse())
	g.Expect(res["digest"]).To(Equal(h.String()))

	// Only v* tags may sign, but another workflow did: exit 1, WrongSigner.
	code, out, _ = verify(repo+":v1.0.0", "--repository", "acme/payments-api", "--workflow", ".github/workflows/ci.yml",
		"--trusted-root", rootFile)
	g.Expect(code).To(Equal(1))
	g.Expect(out).To(ContainSubstring("NOT VERIFIED (WrongSigner)"))

	// Errors: exit 2.
	code, _, errOut := verify(append([]string{repo + ":v9"}, base...)...)
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("v9"))
	code, _, errOut = verify(repo + ":v1.0.0")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("--repository and --workflow are required"))
	code, _, errOut = verify(append([]string{repo + ":v1.0.0", "--workflow", "release.yml"}, base[:2]...)...)
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("must be a path under .github/workflows/"))
	noCA := []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)
	g.Expect(os.WriteFile(rootFile, noCA, 0o600)).To(Succeed())
	code, _, errOut = verify(append([]string{repo + ":v1.0.0"}, base...)...)
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("lists no certificate authority"))
}
