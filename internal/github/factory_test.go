package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secure-pipeline/operator/test/githubsim"
)

const (
	// secretToken must never show in an error.
	secretToken = "ghp_secret"
	appSecret   = "pipelines/app"
)

func TestClientsAreCachedPerSecretAndRebuiltOnNewVersion(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	conn := tokenConn(f.sim.URL(), tokAdmin)

	c1, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	c2, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c2).To(BeIdenticalTo(c1))
	g.Expect(c1.Identity()).To(Equal(tokenIdentity(tokAdmin)))
	g.Expect(c1.Identity()).To(MatchRegexp(`^token-[0-9a-f]{8}$`))

	other := conn
	other.SecretKey = "pipelines/another"
	c3, err := f.factory.ClientFor(ctx, other)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c3).NotTo(BeIdenticalTo(c1), "one client per Secret")

	// A rate-limit hold belongs to the credentials, so a new Secret version with the same token keeps it.
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 30, Count: 1})
	_, err = c1.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	conn.SecretVersion = "2"
	c4, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c4).NotTo(BeIdenticalTo(c1), "a new Secret version rebuilds the client")
	_, err = c4.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	_, err = c3.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "the other Secret holds the same token: %v", err)

	// A new token in the Secret is new credentials: not held. The old token's state is forgotten once
	// no client uses it.
	f.clock.Step(31 * time.Second)
	_, err = c4.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	conn.SecretVersion, conn.Credentials.Token = "3", tokOther
	c5, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c5.Identity()).To(Equal(tokenIdentity(tokOther)))
	other.SecretVersion, other.Credentials.Token = "2", tokOther
	_, err = f.factory.ClientFor(ctx, other)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.factory.(*factory).identities).To(HaveLen(1))
}

// A forgotten Secret's client and its credentials' state go; the next ClientFor builds afresh.
func TestForgetDropsTheClient(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	conn := tokenConn(f.sim.URL(), tokAdmin)
	c1, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.factory.(*factory).identities).To(HaveLen(1))

	f.factory.Forget(conn.APIURL, conn.SecretKey)
	g.Expect(f.factory.(*factory).clients).To(BeEmpty())
	g.Expect(f.factory.(*factory).identities).To(BeEmpty())
	c2, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c2).NotTo(BeIdenticalTo(c1))
	f.factory.Forget(conn.APIURL, "pipelines/never-used") // not cached: nothing happens
	g.Expect(f.factory.(*factory).clients).To(HaveLen(1))
}

func TestInvalidCredentials(t *testing.T) {
	privPEM, _ := appKey(t)
	for name, tc := range map[string]struct {
		conn Connection
		want string
	}{
		"nothing":         {Connection{}, "neither a token nor GitHub App credentials"},
		"blank token":     {Connection{Credentials: Credentials{Token: " \n"}}, "neither a token nor GitHub App credentials"},
		"both":            {Connection{Credentials: Credentials{Token: secretToken, AppID: 1}}, "both a token and GitHub App credentials"},
		"no installation": {Connection{Credentials: Credentials{AppID: 1, PrivateKey: privPEM}}, "lack a positive installation id"},
		"only a key":      {Connection{Credentials: Credentials{PrivateKey: privPEM}}, "lack a positive GitHub App id, a positive installation id"},
		"no key":          {Connection{Credentials: Credentials{AppID: 1, InstallationID: 2}}, "lack the private key"},
		"unparsable key":  {Connection{Credentials: Credentials{AppID: 1, InstallationID: 2, PrivateKey: []byte("-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n")}}, "not a PEM-encoded RSA private key"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			tc.conn.SecretKey = "team-a/github"
			_, err := NewFactory(FactoryOptions{Registerer: prometheus.NewRegistry()}).ClientFor(context.Background(), tc.conn)
			g.Expect(IsInvalidCredentials(err)).To(BeTrue(), "%v", err)
			g.Expect(IsTransient(err)).To(BeFalse())
			g.Expect(err).To(MatchError(HavePrefix("credentials Secret team-a/github: ")))
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))
			g.Expect(err.Error()).NotTo(ContainSubstring("c2VjcmV0"))
		})
	}
}

func TestGitHubAppInstallation(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	privPEM, pubPEM := appKey(t)
	f.sim.AddApp(7, pubPEM)
	f.sim.AddInstallation(7, 70, "acme/widgets")
	conn := Connection{APIURL: f.sim.URL(), SecretKey: appSecret, SecretVersion: "1",
		Credentials: Credentials{AppID: 7, InstallationID: 70, PrivateKey: privPEM}}

	c, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Identity()).To(Equal("app-7/installation-70"))
	repo, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(repo.ID).To(Equal(f.repoID))
	g.Expect(c.SetWebCommitSignoffRequired(ctx, "acme", "widgets", true)).To(Succeed())
	_, err = c.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())

	// One installation token serves all three requests.
	g.Expect(routesOf(f.sim.Requests())).To(Equal([]string{
		"POST /app/installations/{installation_id}/access_tokens 201",
		"GET /repos/{owner}/{repo} 200",
		"PATCH /repos/{owner}/{repo} 200",
		"GET /users/{username} 200",
	}))
	for _, r := range f.sim.Requests()[1:] {
		g.Expect(r.Token).To(HavePrefix("ghs_"))
	}
	g.Expect(f.remaining(t, "app-7/installation-70")).To(BeNumerically(">", 0))

	// A key GitHub does not know: the token cannot be minted, which is a 401 like a bad token.
	otherPriv, _ := appKey(t)
	conn.SecretVersion, conn.Credentials.PrivateKey = "2", otherPriv
	bad, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = bad.GetRepository(ctx, "acme", "widgets")
	g.Expect(IsUnauthorized(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("GitHub POST /app/installations/{installation_id}/access_tokens answered 401")))
	g.Expect(f.requests(t, http.MethodPost, tokenRoute, "401")).To(Equal(1.0))

	// An unknown installation is a 404 on the token route.
	conn.SecretVersion, conn.Credentials.PrivateKey, conn.Credentials.InstallationID = "3", privPEM, 71
	bad, err = f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = bad.GetRepository(ctx, "acme", "widgets")
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("access_tokens answered 404")))
}

func TestGitHubAppTokenIsRefreshedBeforeExpiry(t *testing.T) {
	g := NewWithT(t)
	// Tokens living 30s are within ghinstallation's one-minute refresh margin from the start, so every
	// request mints a fresh one instead of using a token about to expire.
	f := newFixture(t, githubsim.WithInstallationTokenTTL(30*time.Second))
	ctx := context.Background()
	privPEM, pubPEM := appKey(t)
	f.sim.AddApp(8, pubPEM)
	f.sim.AddInstallation(8, 80, "*")
	c, err := f.factory.ClientFor(ctx, Connection{APIURL: f.sim.URL(), SecretKey: appSecret, SecretVersion: "1",
		Credentials: Credentials{AppID: 8, InstallationID: 80, PrivateKey: privPEM}})
	g.Expect(err).NotTo(HaveOccurred())
	for range 2 {
		_, err = c.GetRepository(ctx, "acme", "widgets")
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(f.sim.RequestCounts()["POST /app/installations/{installation_id}/access_tokens"]).To(Equal(2))
	recs := f.sim.Requests()
	g.Expect(recs[1].Token).NotTo(Equal(recs[3].Token))
}

// TestEnterpriseServerBaseURL serves the simulator under /api/v3/, as GitHub Enterprise Server serves
// its API, and checks that the base URL is used as given for tokens, App token minting and metrics.
func TestEnterpriseServerBaseURL(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ghes := httptest.NewServer(http.StripPrefix("/api/v3", f.sim.Handler()))
	t.Cleanup(ghes.Close)
	ctx := context.Background()
	apiURL := ghes.URL + "/api/v3" // no trailing slash: it is added

	c, err := f.factory.ClientFor(ctx, tokenConn(apiURL, tokAdmin))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: "qa/eu"})
	g.Expect(IsValidation(err)).To(BeTrue(), "the simulator refuses '/' in names, which proves it arrived as one segment: %v", err)
	_, err = c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: "qa eu"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetEnvironment(ctx, "acme", "widgets", "qa eu")
	g.Expect(err).NotTo(HaveOccurred())

	privPEM, pubPEM := appKey(t)
	f.sim.AddApp(9, pubPEM)
	f.sim.AddInstallation(9, 90, "acme/widgets")
	app, err := f.factory.ClientFor(ctx, Connection{APIURL: apiURL + "/", SecretKey: appSecret, SecretVersion: "1",
		Credentials: Credentials{AppID: 9, InstallationID: 90, PrivateKey: privPEM}})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = app.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())

	recs := f.sim.Requests()
	paths := make([]string, 0, len(recs))
	for _, r := range recs {
		g.Expect(r.Route).NotTo(BeEmpty(), "every request matched a route under the prefix: %s", r.Path)
		paths = append(paths, r.Path)
	}
	g.Expect(paths).To(ContainElement("/repos/acme/widgets/environments/qa eu"))
	g.Expect(paths).To(ContainElement("/app/installations/90/access_tokens"))
	g.Expect(f.requests(t, http.MethodPut, "/repos/{owner}/{repo}/environments/{environment_name}", "200")).To(Equal(1.0))
}

func TestDefaultAPIURL(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	fac := f.newFactory(func(o *FactoryOptions) { o.DefaultAPIURL = strings.TrimSuffix(f.sim.URL(), "/") })
	c, err := fac.ClientFor(context.Background(), tokenConn("", tokAdmin))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetRepository(context.Background(), "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.sim.Requests()).To(HaveLen(1))
}

// Cached hands out a client only for the Secret version it was built from, and never builds one.
func TestCachedOnlyAtTheBuiltVersion(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	conn := tokenConn(f.sim.URL(), tokAdmin)
	g.Expect(f.factory.Cached(conn.APIURL, conn.SecretKey, conn.SecretVersion)).To(BeNil(), "nothing built yet")
	c1, err := f.factory.ClientFor(context.Background(), conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.factory.Cached(conn.APIURL, conn.SecretKey, conn.SecretVersion)).To(BeIdenticalTo(c1))
	g.Expect(f.factory.Cached(conn.APIURL, conn.SecretKey, conn.SecretVersion+"0")).To(BeNil(), "another version of the Secret")
	g.Expect(f.factory.Cached(conn.APIURL, conn.SecretKey, "")).To(BeNil())
	g.Expect(f.factory.Cached(conn.APIURL, "pipelines/another", conn.SecretVersion)).To(BeNil(), "another Secret")
	f.factory.Forget(conn.APIURL, conn.SecretKey)
	g.Expect(f.factory.Cached(conn.APIURL, conn.SecretKey, conn.SecretVersion)).To(BeNil(), "forgotten")
}
