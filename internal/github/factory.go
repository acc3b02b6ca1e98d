package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
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
	return &factory{opts: opts, metrics: m, budgetMetrics: bm, clients: map[clientKey]*cachedClient{},
		identities: map[string]*shared[*identityState]{}}
}

// factory caches clients per (server, credentials Secret). What belongs to the credentials (the
// rate-limit state and the ETag cache) outlives any one client and is shared by every client of the
// same credentials on the same server: identities are keyed by the server and the full SHA-256 of the
// token or App key, never by a short label or public numbers.
type factory struct {
	opts          FactoryOptions
	metrics       *metrics
	budgetMetrics *budgetMetrics

	mu         sync.Mutex
	clients    map[clientKey]*cachedClient
	identities map[string]*shared[*identityState]
}

// shared counts the cached clients using a value, so that the factory forgets it with the last one.
type shared[T any] struct {
	v    T
	refs int
}

// clientKey is the canonical server and the Secret's "namespace/name".
type clientKey struct{ server, secretKey string }

type cachedClient struct {
	version string
	client  *client
	idKey   string
	// installation is "server app installation" for App credentials, "" for a token.
	installation string
}

// ClientFor returns the cached client for c's server and Secret, building a new one when the Secret's
// version changed. It does not call GitHub: wrong credentials show as IsUnauthorized on the first call.
// Credentials that cannot make a client return a *CredentialsError, an unusable API URL an *APIURLError.
func (f *factory) ClientFor(_ context.Context, c Connection) (Client, error) {
	server, err := f.server(c.APIURL)
	if err != nil {
		return nil, err
	}
	key := clientKey{server.String(), c.SecretKey}
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.clients[key]
	if old != nil && old.version == c.SecretVersion {
		return old.client, nil
	}
	// The new client is built before the old one lets go of its identity, so that credentials that did
	// not change (a touched label) keep their rate-limit hold and ETag cache.
	cc, err := f.build(server, c)
	if old != nil {
		if err == nil && old.installation != "" && old.installation == cc.installation {
			// A rotated App key: GitHub still limits the installation, so its hold carries over.
			f.identities[cc.idKey].v.inherit(f.identities[old.idKey].v.limitState)
		}
		// The old version's credentials are no longer what the Secret says, valid or not.
		delete(f.clients, key)
		f.release(old)
	}
	if err != nil {
		return nil, err
	}
	f.clients[key] = cc
	return cc.client, nil
}

// Cached returns the cached client of (apiURL, secretKey) if it was built from the Secret's version.
func (f *factory) Cached(apiURL, secretKey, version string) Client {
	server, err := f.server(apiURL)
	if err != nil || version == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cc := f.clients[clientKey{server.String(), secretKey}]; cc != nil && cc.version == version {
		return cc.client
	}
	return nil
}

// Forget drops the cached client of (apiURL, secretKey); the identity's state (ETag cache, rate-limit
// holds) goes with it when no other client shares it.
func (f *factory) Forget(apiURL, secretKey string) {
	server, err := f.server(apiURL)
	if err != nil {
		return
	}
	key := clientKey{server.String(), secretKey}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cc := f.clients[key]; cc != nil {
		delete(f.clients, key)
		f.release(cc)
	}
}

// server parses an API URL (or the default) into its canonical Server. It is dialled as given apart
// from canonicalisation: a GitHub Enterprise Server URL must already end in /api/v3/ (go-github's
// WithEnterpriseURLs would append it to any other URL, which breaks proxies and the simulator). The
// rules are the CRD's: plain http only to a literal loopback address, so no token crosses a network
// in the clear, whatever was stored before the rule existed or given as --github-api-url.
func (f *factory) server(raw string) (Server, error) {
	if raw == "" {
		raw = f.opts.DefaultAPIURL
	}
	s, err := ParseServer(raw)
	if err != nil {
		return Server{}, &APIURLError{URL: raw, Problem: err.Error()}
	}
	return s, nil
}

// build makes a client; f.mu is held. It takes a reference on the credentials' identity.
func (f *factory) build(server Server, c Connection) (*cachedClient, error) {
	kind, err := credentialKind(c)
	if err != nil {
		return nil, err
	}
	srv := server.String()
	var label, idKey, installation string
	var auth http.RoundTripper
	switch kind {
	case credToken:
		token := strings.TrimSpace(c.Credentials.Token)
		sum := sha256.Sum256([]byte(token))
		label = "token-" + hex.EncodeToString(sum[:4])
		idKey = srv + " token " + hex.EncodeToString(sum[:])
		auth = &tokenAuth{token: token, next: f.opts.Transport}
	case credApp:
		cr := c.Credentials
		itr, err := ghinstallation.New(f.opts.Transport, cr.AppID, cr.InstallationID, cr.PrivateKey)
		if err != nil {
			// The parse error is not shown: it is about key material.
			return nil, &CredentialsError{SecretKey: c.SecretKey,
				Problem: "the GitHub App private key is not a PEM-encoded RSA private key (PKCS#1 or PKCS#8)"}
		}
		itr.BaseURL = strings.TrimSuffix(srv, "/")
		itr.Client = &http.Client{Transport: f.opts.Transport, Timeout: f.opts.RequestTimeout}
		label = fmt.Sprintf("app-%d/installation-%d", cr.AppID, cr.InstallationID)
		installation = fmt.Sprintf("%s app %d installation %d", srv, cr.AppID, cr.InstallationID)
		// The app and installation numbers are public: keyed by them alone, the state would be shared
		// with anyone naming them with a key of their own (a 401's x-ratelimit-remaining of the
		// anonymous budget would then hold the real installation for an hour). Only the key identifies
		// these credentials; a rotated key inherits the hold instead (ClientFor).
		h := sha256.New()
		fmt.Fprintf(h, "%d\x00%d\x00", cr.AppID, cr.InstallationID)
		h.Write(cr.PrivateKey)
		idKey = srv + " app-key " + hex.EncodeToString(h.Sum(nil))
		auth = itr
	}
	id := f.identities[idKey]
	if id == nil {
		st := &identityState{limitState: newLimitState(srv, label), cache: newETagCache(f.opts.CacheEntries, f.opts.CacheBytes)}
		if f.opts.PointsPerMinute >= 0 {
			// Real time, not opts.Now: the budget refills with the clock requests are sent by.
			st.budget = newBudget(f.opts.PointsPerMinute, time.Now)
		}
		id = &shared[*identityState]{v: st}
		f.identities[idKey] = id
	}
	id.refs++

	t := &apiTransport{next: auth, id: id.v, basePath: server.URL().EscapedPath(), floor: f.opts.RateLimitFloor,
		timeout: f.opts.RequestTimeout, now: f.opts.Now, metrics: f.metrics, budget: id.v.budget, budgetMetrics: f.budgetMetrics}
	gh := gogithub.NewClient(&http.Client{Transport: t})
	gh.BaseURL, gh.UploadURL = server.URL(), server.URL()
	gh.UserAgent = f.opts.UserAgent
	return &cachedClient{version: c.SecretVersion, idKey: idKey, installation: installation,
		client: &client{gh: gh, identity: label}}, nil
}

// release lets go of a client's identity: state no cached client uses any more (a rotated token's) is
// forgotten; f.mu is held.
func (f *factory) release(cc *cachedClient) {
	id := f.identities[cc.idKey]
	if id == nil {
		return
	}
	if id.refs--; id.refs <= 0 {
		delete(f.identities, cc.idKey)
		f.metrics.remaining.DeleteLabelValues(id.v.server, id.v.label)
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
