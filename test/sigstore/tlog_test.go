package sigstore

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

const (
	repoName = "acme/payments-api"
	workflow = ".github/workflows/release.yml"
)

// A trusted root that lists a transparency log requires each signature to be in it: a bundle with a valid
// certificate and timestamp but no log entry, or with the entry of another signature, does not verify.
func TestTransparencyLogRequiredWhenTheRootListsOne(t *testing.T) {
	g := NewWithT(t)
	mem := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(mem)
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/payments-api"

	ss, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	vs, err := ca.NewVirtualSigstore()
	g.Expect(err).NotTo(HaveOccurred())
	// VirtualSigstore's log carries its hex id as the raw id; a trusted_root.json holds the raw key id,
	// which is what a bundle's entries name.
	logs := vs.RekorLogs()
	for id, l := range logs {
		raw, err := hex.DecodeString(id)
		g.Expect(err).NotTo(HaveOccurred())
		l.ID = raw
	}
	rootJSON, err := ss.TrustedRootJSONWith(logs)
	g.Expect(err).NotTo(HaveOccurred())
	tr, err := release.ParseTrustedRoot(rootJSON)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr.String()).To(ContainSubstring("1 transparency log(s) (required)"))

	id := sigstoretest.GitHubWorkflow(repoName, workflow, "refs/tags/v1.0.0")
	logged := func(h v1.Hash, withEntry bool, entryOf *sigstoretest.Signed) []byte {
		sg, err := ss.SignParts(id, sigstoretest.Statement(h.String(), release.CosignSignPredicateType, nil))
		g.Expect(err).NotTo(HaveOccurred())
		var entries []*protorekor.TransparencyLogEntry
		if withEntry {
			of := sg
			if entryOf != nil {
				of = entryOf
			}
			env := &dsse.Envelope{
				PayloadType: sigstoretest.InTotoPayloadType, Payload: base64.StdEncoding.EncodeToString(of.Payload),
				Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(of.Sig)}},
			}
			entry, err := vs.GenerateTlogEntry(of.Cert, env, of.Sig, time.Now().Unix(), true)
			g.Expect(err).NotTo(HaveOccurred())
			// tlog.NewEntry leaves out what a bundle carries besides the body and proof: the entry's kind.
			tle := entry.TransparencyLogEntry()
			tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
			entries = append(entries, tle)
		}
		b, err := sigstoretest.BundleJSON(sg.Cert.Raw, sg.SignedTimestamp, sg.Payload, sg.Sig, entries...)
		g.Expect(err).NotTo(HaveOccurred())
		return b
	}
	policy := release.Policy{Repository: repoName, Workflow: workflow, RefPattern: "refs/tags/v*"}
	reg, err := release.NewRegistry(repo, release.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	for _, tc := range []struct {
		name    string
		bundle  func(h v1.Hash) []byte
		reason  string
		message string
	}{
		{"logged", func(h v1.Hash) []byte { return logged(h, true, nil) },
			release.ReasonVerified, "signed by https://github.com/" + repoName + "/" + workflow + "@refs/tags/v1.0.0"},
		{"not logged", func(h v1.Hash) []byte { return logged(h, false, nil) },
			release.ReasonInvalidSignature, "not enough verified log entries"},
		{"the log entry of another signature", func(h v1.Hash) []byte {
			stmt := sigstoretest.Statement(h.String(), release.CosignSignPredicateType, map[string]any{"other": true})
			other, err := ss.SignParts(id, stmt)
			g.Expect(err).NotTo(HaveOccurred())
			return logged(h, true, other)
		}, release.ReasonInvalidSignature, "transparency log signature does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			h, err := sigstoretest.PushRandomImage(repo + ":" + strings.ReplaceAll(tc.name, " ", "-"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sigstoretest.Attach(repo, h, tc.bundle(h), release.CosignSignPredicateType)).To(Succeed())
			res, err := (&release.Verifier{Root: tr}).Verify(context.Background(), reg, h, policy)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Reason).To(Equal(tc.reason), res.Message)
			g.Expect(res.Message).To(ContainSubstring(tc.message))
		})
	}
}
