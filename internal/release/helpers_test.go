package release_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

const (
	repoName = "acme/payments-api"
	workflow = ".github/workflows/release.yml"
)

// fixture is an in-memory OCI registry on loopback, a test Sigstore and a verifier trusting it.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	host   string
	ss     *sigstoretest.Sigstore
	root   *release.TrustedRoot
	policy release.Policy
}

func newFixture(t *testing.T, opts ...registry.Option) *fixture {
	t.Helper()
	srv := httptest.NewServer(registry.New(append([]registry.Option{registry.Logger(discardLogger())}, opts...)...))
	t.Cleanup(srv.Close)
	ss, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := release.ParseTrustedRoot(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		t: t, srv: srv, host: strings.TrimPrefix(srv.URL, "http://"), ss: ss, root: tr,
		policy: release.Policy{Repository: repoName, Workflow: workflow, RefPattern: "refs/tags/v*", RequireSBOM: true},
	}
}

func (f *fixture) repo() string { return f.host + "/acme/payments-api" }

// push pushes a random image under tag.
func (f *fixture) push(tag string) v1.Hash {
	f.t.Helper()
	h, err := sigstoretest.PushRandomImage(f.repo() + ":" + tag)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// attach signs a statement of predicateType about subject as id and attaches the bundle to h.
func (f *fixture) attach(h v1.Hash, id sigstoretest.Identity, predicateType string) {
	f.t.Helper()
	f.attachBundle(h, f.sign(id, h.String(), predicateType), predicateType)
}

func (f *fixture) sign(id sigstoretest.Identity, subject, predicateType string) []byte {
	f.t.Helper()
	b, err := f.ss.Sign(id, sigstoretest.Statement(subject, predicateType, nil))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) attachBundle(h v1.Hash, bundle []byte, predicateType string) {
	f.t.Helper()
	if err := sigstoretest.Attach(f.repo(), h, bundle, predicateType); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) registry() *release.Registry {
	f.t.Helper()
	r, err := release.NewRegistry(f.repo(), release.RegistryOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) verify(h v1.Hash) release.Result {
	f.t.Helper()
	v := &release.Verifier{Root: f.root}
	res, err := v.Verify(context.Background(), f.registry(), h, f.policy)
	if err != nil {
		f.t.Fatalf("verifying %s: %v", h, err)
	}
	return res
}

const (
	spdx       = "https://spdx.dev/Document"
	cyclonedx  = "https://cyclonedx.org/bom/v1.5"
	slsa       = "https://slsa.dev/provenance/v1"
	cosignSign = release.CosignSignPredicateType
)

func releaseID(ref string) sigstoretest.Identity {
	return sigstoretest.GitHubWorkflow(repoName, workflow, ref)
}

// recordingServer records the Authorization headers it receives.
type recordingServer struct {
	*httptest.Server
	auth []string
}

func newRecordingServer(t *testing.T, h http.HandlerFunc) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.auth = append(rs.auth, r.Header.Get("Authorization"))
		h(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func v1Hash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
