package release_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/release"
)

const (
	user, pass = "puller", "s3cret-pull-token"
	token      = "registry-token"
)

var basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))

// tokenRegistry puts the fixture's registry behind Bearer auth whose token realm is realmURL.
func tokenRegistry(t *testing.T, realm func() string) *httptest.Server {
	inner := registry.New(registry.Logger(discardLogger()), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="registry"`, realm()))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func realmHandler(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != basic {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_, _ = fmt.Fprintf(w, `{"token":%q}`, token)
}

func TestCredentialsGoOnlyToAllowedTokenRealms(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	realm := newRecordingServer(t, realmHandler)
	// ggcr itself refuses realms at private IP literals, so the realm gets a name (auth.localhost,
	// dialled on loopback): another host than the registry, as a hostile registry would name.
	realmHost := "auth.localhost:" + realm.URL[strings.LastIndex(realm.URL, ":")+1:]
	reg := tokenRegistry(t, func() string { return "http://" + realmHost + "/token" })
	repo := strings.TrimPrefix(reg.URL, "http://") + "/acme/payments-api"
	h := v1Hash(t, "sha256:"+strings.Repeat("cd", 32))

	// The realm is another host (another port of 127.0.0.1) and not listed: it gets no credentials, so no
	// token, and the registry refuses.
	r, err := release.NewRegistry(repo, release.RegistryOptions{Credentials: &release.Credentials{Username: user, Password: pass}, Transport: loopbackTransport()})
	g.Expect(err).NotTo(HaveOccurred())
	v := &release.Verifier{Root: f.root}
	res, err := v.Verify(context.Background(), r, h, f.policy)
	g.Expect(err).To(HaveOccurred())
	g.Expect(res.Reason).To(Equal(release.ReasonRegistryAccessDenied))
	g.Expect(realm.auth).NotTo(BeEmpty())
	for _, a := range realm.auth {
		g.Expect(a).To(BeEmpty(), "the unlisted token realm received credentials")
	}
	g.Expect(r.StrippedCredentials()).To(BeNumerically(">", 0))
	g.Expect(err.Error()).NotTo(ContainSubstring(pass))

	// Listed explicitly, the realm gets them and the registry answers.
	realm.auth = nil
	r, err = release.NewRegistry(repo, release.RegistryOptions{
		Credentials:     &release.Credentials{Username: user, Password: pass},
		TokenRealmHosts: []string{realmHost},
		Transport:       loopbackTransport(),
	})
	g.Expect(err).NotTo(HaveOccurred())
	res, err = v.Verify(context.Background(), r, h, f.policy)
	g.Expect(err).NotTo(HaveOccurred(), "%v", err)
	g.Expect(res.Reason).To(Equal(release.ReasonUnsigned))
	g.Expect(realm.auth).To(ContainElement(basic))
}

// A registry that redirects a blob to another host (as registries redirect to object storage) must not
// make the client send it the credentials.
func TestCredentialsNeverFollowARedirectToAnotherHost(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, registry.WithReferrersSupport(true))
	h := f.push("v1.0.0")
	f.attach(h, releaseID("refs/tags/v1.0.0"), cosignSign)
	f.attach(h, releaseID("refs/tags/v1.0.0"), spdx)

	inner := f.srv.Config.Handler
	storage := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) { inner.ServeHTTP(w, r) })
	var registryAuth []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registryAuth = append(registryAuth, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if strings.Contains(r.URL.Path, "/blobs/") {
			http.Redirect(w, r, storage.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	r, err := release.NewRegistry(strings.TrimPrefix(front.URL, "http://")+"/acme/payments-api",
		release.RegistryOptions{Credentials: &release.Credentials{Username: user, Password: pass}})
	g.Expect(err).NotTo(HaveOccurred())
	res, err := (&release.Verifier{Root: f.root}).Verify(context.Background(), r, h, f.policy)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Reason).To(Equal(release.ReasonVerified), res.Message)
	g.Expect(registryAuth).To(ContainElement(basic))
	g.Expect(storage.auth).NotTo(BeEmpty(), "the blobs were not read through the redirect")
	for _, a := range storage.auth {
		g.Expect(a).To(BeEmpty(), "credentials followed the redirect to another host")
	}
}

func TestRegistryErrors(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	// Nothing listens on a closed server's address.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	r, err := release.NewRegistry(strings.TrimPrefix(dead.URL, "http://")+"/acme/app", release.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.Resolve(context.Background(), "v1")
	g.Expect(err).To(HaveOccurred())
	var re *release.RegistryError
	g.Expect(err).To(BeAssignableToTypeOf(re))
	g.Expect(err.(*release.RegistryError).Reason).To(Equal(release.ReasonRegistryUnavailable))

	// A tag that does not exist is access denied (registries answer 404 for "no such repository" and for
	// "you may not see it" alike).
	_, err = f.registry().Resolve(context.Background(), "v9.9.9")
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.(*release.RegistryError).Reason).To(Equal(release.ReasonRegistryAccessDenied))

	_, err = release.NewRegistry("Not A Repository!", release.RegistryOptions{})
	g.Expect(err).To(MatchError(ContainSubstring(`image repository "Not A Repository!"`)))
}

// loopbackTransport dials every *.localhost host name on 127.0.0.1, keeping the port.
func loopbackTransport() http.RoundTripper {
	d := &net.Dialer{}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && strings.HasSuffix(host, ".localhost") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}}
}
