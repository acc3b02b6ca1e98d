package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gogithub "github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Defaults of FactoryOptions.
const (
	// DefaultAPIURL is github.com's REST API.
	DefaultAPIURL = "https://api.github.com/"
	// DefaultUserAgent names the operator to GitHub, which asks every client to.
	DefaultUserAgent = "secure-pipeline-operator"
	// DefaultRequestTimeout bounds one exchange with GitHub, so a stuck connection cannot hold an
	// identity's request slot forever when the caller's context has no deadline.
	DefaultRequestTimeout = 30 * time.Second
)

// FactoryOptions configure NewFactory. The zero value is production's configuration.
type FactoryOptions struct {
	// DefaultAPIURL is used for a Connection without APIURL (default DefaultAPIURL).
	DefaultAPIURL string
	// UserAgent is sent with every request (default DefaultUserAgent).
	UserAgent string
	// Transport sends requests (default http.DefaultTransport); tests and proxies replace it. Credentials
	// are added above it; installation tokens are minted through it.
	Transport http.RoundTripper
	// RequestTimeout bounds each exchange with GitHub, from its turn to the end of the answer; waiting for
	// the turn is bounded by the caller's context (default DefaultRequestTimeout; negative: none).
	RequestTimeout time.Duration
	// RateLimitFloor: when GitHub reports fewer primary requests remaining than this, no request is sent
	// until the reset (default DefaultRateLimitFloor; negative: only stop when none remain).
	RateLimitFloor int
	// CacheEntries bounds the number of entries of each identity's ETag cache (default 0: only
	// CacheBytes bounds it).
	CacheEntries int
	// CacheBytes bounds each identity's ETag cache by size (default DefaultCacheBytes).
	CacheBytes int
	// PointsPerMinute is each identity's request budget in GitHub's secondary-limit points (a read 1, a
	// write 5), shared by every pipeline using the identity (default DefaultPointsPerMinute; negative:
	// no budget).
	PointsPerMinute int
	// Now is the clock rate-limit holds are measured with (default time.Now).
	Now func() time.Time
	// Registerer receives the metrics (default controller-runtime's metrics.Registry). Registering with a
	// registry that already has them shares the existing collectors.
	Registerer prometheus.Registerer
}

// NewFactory returns a Factory. It panics if opts.Registerer holds different collectors under this
// package's metric names, a programming error like prometheus.MustRegister's.
func NewFactory(opts FactoryOptions) Factory {
	if opts.DefaultAPIURL == "" {
		opts.DefaultAPIURL = DefaultAPIURL
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	switch {
	case opts.RequestTimeout == 0:
		opts.RequestTimeout = DefaultRequestTimeout
	case opts.RequestTimeout < 0:
		opts.RequestTimeout = 0
	}
	switch {
	case opts.RateLimitFloor == 0:
		opts.RateLimitFloor = DefaultRateLimitFloor
	case opts.RateLimitFloor < 1:
		opts.RateLimitFloor = 1 // holding at zero remaining is not optional
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registerer == nil {
		opts.Registerer = ctrlmetrics.Registry
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		panic(fmt.Sprintf("github: registering metrics: %v", err))
	}
	bm, err := newBudgetMetrics(opts.Registerer)
	if err != nil {
		panic(fmt.Sprintf("github: registering metrics: %v", err))
	}
	return &factory{opts: opts, metrics: m, budgetMetrics: bm, clients: map[clientKey]*cachedClient{}, identities: map[string]*identityState{}}
}

// factory caches clients per (API URL, credentials Secret) and identity state per (API URL, credentials).
type factory struct {
	opts          FactoryOptions
	metrics       *metrics
	budgetMetrics *budgetMetrics

	mu         sync.Mutex
	clients    map[clientKey]*cachedClient
	identities map[string]*identityState
}

type clientKey struct{ apiURL, secretKey string }

type cachedClient struct {
	version string
	client  *client
	idKey   string
}

// ClientFor returns the cached client for c's API URL and Secret, building a new one when the Secret's
// version changed. It does not call GitHub: wrong credentials show as IsUnauthorized on the first call.
// Credentials that cannot make a client return a *CredentialsError.
func (f *factory) ClientFor(_ context.Context, c Connection) (Client, error) {
	apiURL, err := f.apiURL(c)
	if err != nil {
		return nil, err
	}
	key := clientKey{apiURL.String(), c.SecretKey}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cc := f.clients[key]; cc != nil && cc.version == c.SecretVersion {
		return cc.client, nil
	}
	if old := f.clients[key]; old != nil {
		// The old version's credentials are no longer what the Secret says, valid or not.
		delete(f.clients, key)
		f.releaseIdentity(old.idKey)
	}
	cc, err := f.build(apiURL, c)
	if err != nil {
		return nil, err
	}
	f.clients[key] = cc
	return cc.client, nil
}

// Forget drops the cached client of (apiURL, secretKey); the identity's state (ETag cache, rate-limit
// holds) goes with it when no other client shares it.
func (f *factory) Forget(apiURL, secretKey string) {
	u, err := f.apiURL(Connection{APIURL: apiURL, SecretKey: secretKey})
	if err != nil {
		return
	}
	key := clientKey{u.String(), secretKey}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cc := f.clients[key]; cc != nil {
		delete(f.clients, key)
		f.releaseIdentity(cc.idKey)
	}
}

// apiURL parses the Connection's API URL (or the default) and gives it the trailing slash go-github
// needs. It is used as-is: a GitHub Enterprise Server URL must already end in /api/v3/ (go-github's
// WithEnterpriseURLs would append it to any other URL, which breaks proxies and the simulator).
func (f *factory) apiURL(c Connection) (*url.URL, error) {
	raw := strings.TrimSpace(c.APIURL)
	if raw == "" {
		raw = f.opts.DefaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, &CredentialsError{SecretKey: c.SecretKey,
			Problem: fmt.Sprintf("the GitHub API URL %q is not an absolute http(s) URL without user info", raw)}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// build makes a client; f.mu is held.
func (f *factory) build(apiURL *url.URL, c Connection) (*cachedClient, error) {
	kind, err := credentialKind(c)
	if err != nil {
		return nil, err
	}
	var label, idKey string
	var auth http.RoundTripper
	switch kind {
	case credToken:
		token := strings.TrimSpace(c.Credentials.Token)
		sum := sha256.Sum256([]byte(token))
		label = "token-" + hex.EncodeToString(sum[:4])
		idKey = apiURL.String() + " token-" + hex.EncodeToString(sum[:])
		auth = &tokenAuth{token: token, next: f.opts.Transport}
	case credApp:
		cr := c.Credentials
		itr, err := ghinstallation.New(f.opts.Transport, cr.AppID, cr.InstallationID, cr.PrivateKey)
		if err != nil {
			// The parse error is not shown: it is about key material.
			return nil, &CredentialsError{SecretKey: c.SecretKey,
				Problem: "the GitHub App private key is not a PEM-encoded RSA private key (PKCS#1 or PKCS#8)"}
		}
		itr.BaseURL = strings.TrimSuffix(apiURL.String(), "/")
		itr.Client = &http.Client{Transport: f.opts.Transport, Timeout: f.opts.RequestTimeout}
		label = fmt.Sprintf("app-%d/installation-%d", cr.AppID, cr.InstallationID)
		idKey = apiURL.String() + " " + label
		auth = itr
	}
	id := f.identities[idKey]
	if id == nil {
		id = newIdentityState(label, f.opts.CacheEntries)
		id.cache = newETagCache(f.opts.CacheEntries, f.opts.CacheBytes)
		if f.opts.PointsPerMinute >= 0 {
			// Real time, not opts.Now: the budget refills with the clock requests are sent by.
			id.budget = newBudget(f.opts.PointsPerMinute, time.Now)
		}
		f.identities[idKey] = id
	}
	id.refs++

	t := &apiTransport{next: auth, id: id, basePath: apiURL.EscapedPath(), floor: f.opts.RateLimitFloor,
		timeout: f.opts.RequestTimeout, now: f.opts.Now, metrics: f.metrics, budget: id.budget, budgetMetrics: f.budgetMetrics}
	gh := gogithub.NewClient(&http.Client{Transport: t})
	gh.BaseURL, gh.UploadURL = apiURL, apiURL
	gh.UserAgent = f.opts.UserAgent
	return &cachedClient{version: c.SecretVersion, idKey: idKey, client: &client{gh: gh, identity: label}}, nil
}

// releaseIdentity forgets an identity no cached client uses any more (a rotated token); f.mu is held.
func (f *factory) releaseIdentity(idKey string) {
	id := f.identities[idKey]
	if id == nil {
		return
	}
	if id.refs--; id.refs <= 0 {
		delete(f.identities, idKey)
		f.metrics.remaining.DeleteLabelValues(id.label)
	}
}

type credKind int

const (
	credToken credKind = iota
	credApp
)

// credentialKind checks that c holds exactly one complete kind of credentials and names what is missing.
func credentialKind(c Connection) (credKind, error) {
	cr := c.Credentials
	hasToken := strings.TrimSpace(cr.Token) != ""
	hasApp := cr.AppID != 0 || cr.InstallationID != 0 || len(cr.PrivateKey) > 0
	bad := func(problem string) (credKind, error) {
		return 0, &CredentialsError{SecretKey: c.SecretKey, Problem: problem}
	}
	switch {
	case hasToken && hasApp:
		return bad("it holds both a token and GitHub App credentials; keep only one")
	case hasToken:
		return credToken, nil
	case !hasApp:
		return bad("it holds neither a token nor GitHub App credentials")
	}
	var missing []string
	if cr.AppID <= 0 {
		missing = append(missing, "a positive GitHub App id")
	}
	if cr.InstallationID <= 0 {
		missing = append(missing, "a positive installation id")
	}
	if len(cr.PrivateKey) == 0 {
		missing = append(missing, "the private key")
	}
	if len(missing) > 0 {
		return bad("the GitHub App credentials lack " + strings.Join(missing, ", "))
	}
	return credApp, nil
}

// tokenAuth sends a personal access token the way go-github's WithAuthToken does.
type tokenAuth struct {
	token string
	next  http.RoundTripper
}

// RoundTrip adds the Authorization header to a copy of req, as RoundTrippers must not modify requests.
func (a *tokenAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+a.token)
	return a.next.RoundTrip(out)
}
