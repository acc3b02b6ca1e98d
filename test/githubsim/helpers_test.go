package githubsim

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/golang-jwt/jwt/v4"
	. "github.com/onsi/gomega"
	"golang.org/x/crypto/nacl/box"
)

// fixture is a started simulator seeded with a small organization:
// users alice and bob, org acme with team platform, repos acme/widgets and
// acme/gadgets, user repo alice/dotfiles, and tokens:
//   - tokAdmin: admin on acme/widgets and alice/dotfiles
//   - tokNone:  valid but sees no repository
//   - tokRead:  read-only on acme/widgets
type fixture struct {
	sim                         *Server
	aliceID, bobID, teamID      int64
	widgetsID, gadgetsID, dotID int64
}

const (
	tokAdmin = "ghp_admin"
	tokNone  = "ghp_none"
	tokRead  = "ghp_read"
)

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	s := New(opts...).Start()
	t.Cleanup(s.Close)
	f := &fixture{sim: s}
	f.aliceID = s.AddUser("alice")
	f.bobID = s.AddUser("bob")
	s.AddOrg("acme")
	f.teamID = s.AddTeam("acme", "platform")
	f.widgetsID = s.AddRepo("acme", "widgets")
	f.gadgetsID = s.AddRepo("acme", "gadgets")
	f.dotID = s.AddRepo("alice", "dotfiles")
	s.AddToken(tokAdmin, "acme/widgets", "alice/dotfiles")
	s.AddToken(tokNone)
	s.AddReadOnlyToken(tokRead, "acme/widgets")
	s.SetFile("acme", "widgets", ".github/workflows/ci.yml", []byte("on: push\njobs: {}\n"))
	s.SetFile("acme", "widgets", ".github/workflows/release.yml", []byte("on: release\n"))
	s.SetFile("acme", "widgets", "README.md", []byte("# widgets\n"))
	return f
}

// apiResp is a decoded API response.
type apiResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResp) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// do sends one API request; body is JSON-encoded unless it is []byte.
// Redirects are not followed so 303s can be asserted.
func do(t *testing.T, client *http.Client, method, url, token string, body any, hdr ...string) apiResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			b, err = json.Marshal(body)
			if err != nil {
				t.Fatalf("encoding request body: %v", err)
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if client == nil {
		client = noRedirectClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return apiResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func noRedirectClient() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// seal encrypts value for an environment public key as GitHub clients do
// (libsodium sealed box), returning the base64 encrypted_value.
func seal(t *testing.T, keyB64, value string) string {
	t.Helper()
	g := NewWithT(t)
	raw, err := base64.StdEncoding.DecodeString(keyB64)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(raw).To(HaveLen(32))
	var pub [32]byte
	copy(pub[:], raw)
	out, err := box.SealAnonymous(nil, []byte(value), &pub, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	return base64.StdEncoding.EncodeToString(out)
}

// appKey generates an RSA key for a GitHub App and its public PEM.
func appKey(t *testing.T) (*rsa.PrivateKey, []byte, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generating RSA key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatalf("marshalling public key: %v", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return k, pub, priv
}

// appJWT signs an app JWT the way GitHub documents (iat 60s in the past).
func appJWT(t *testing.T, k *rsa.PrivateKey, appID int64, now time.Time, ttl time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": strconv.FormatInt(appID, 10),
		"iat": now.Add(-60 * time.Second).Unix(),
		"exp": now.Add(ttl).Unix(),
	})
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatalf("signing app JWT: %v", err)
	}
	return s
}

// newFakeClock is a settable clock (Now, Step) so that tests of time do not sleep.
func newFakeClock() *clocktesting.FakeClock { return clocktesting.NewFakeClock(time.Now()) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
