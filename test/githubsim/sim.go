package githubsim

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Option configures a Server created by New.
type Option func(*Server)

// Server is a simulated GitHub REST API. Create one with New; all methods are
// safe for concurrent use.
//
// Locking: mu guards the GitHub state (st) and is only held while a handler
// reads or mutates it, never across injected latency or network writes, so a
// slow request for one token cannot stall others. Rate limits, faults and the
// request log have their own locks.
type Server struct {
	adminToken    string
	primaryLimit  int
	primaryWindow time.Duration
	maxConcurrent int
	perMinute     int
	instTTL       time.Duration
	// pointsPerMinute and tokenETags are set by the options in secondary.go.
	pointsPerMinute int
	tokenETags      bool
	clock           func() time.Time
	// noAdminBypass models an older GitHub Enterprise Server without can_admins_bypass (ghes.go).
	noAdminBypass bool

	mu sync.RWMutex
	st *state

	limits *limiter
	faults *faultTable
	log    *requestLog
	router *router

	tsMu sync.Mutex
	ts   *httptest.Server
}

// New creates a simulator (not yet listening). Without options it has a
// random admin token, a primary budget of 5000 requests per hour per token,
// no secondary limits and installation tokens that live one hour.
func New(opts ...Option) *Server {
	s := &Server{
		primaryLimit: 5000,
		instTTL:      time.Hour,
		clock:        time.Now,
		st:           newState(),
		faults:       newFaultTable(),
		log:          newRequestLog(),
	}
	for _, o := range opts {
		o(s)
	}
	if s.adminToken == "" {
		s.adminToken = randomHex(20)
	}
	s.limits = newLimiter(s.maxConcurrent, s.perMinute)
	s.limits.pointsPerMinute = s.pointsPerMinute
	if s.primaryWindow > 0 {
		s.limits.window = s.primaryWindow
	}
	s.router = newRouter(routeTable())
	return s
}

// WithAdminToken sets the bearer token that guards the /_sim/ admin API
// (default: random).
func WithAdminToken(tok string) Option { return func(s *Server) { s.adminToken = tok } }

// WithPrimaryRateLimit sets the per-token hourly request budget (default 5000).
func WithPrimaryRateLimit(perHour int) Option { return func(s *Server) { s.primaryLimit = perHour } }

// WithPrimaryRateLimitWindow sets the primary limit per window instead of per hour, for benchmarks that
// run GitHub's clock faster (x-ratelimit-reset is then the window's end).
func WithPrimaryRateLimitWindow(perWindow int, window time.Duration) Option {
	return func(s *Server) { s.primaryLimit, s.primaryWindow = perWindow, window }
}

// WithSecondaryLimits sets GitHub's secondary limits per token: the number of
// requests a token may have in flight at once and the number of requests per
// rolling minute. 0 means unlimited (the default for both).
func WithSecondaryLimits(maxConcurrentPerToken, perMinute int) Option {
	return func(s *Server) { s.maxConcurrent, s.perMinute = maxConcurrentPerToken, perMinute }
}

// WithInstallationTokenTTL sets how long installation tokens live (default 1h).
func WithInstallationTokenTTL(d time.Duration) Option { return func(s *Server) { s.instTTL = d } }

// WithClock replaces time.Now for everything time-dependent (token expiry,
// rate-limit windows, timestamps), so tests can move time forward.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// Start listens on 127.0.0.1:0 and returns the server, for chaining:
// sim := githubsim.New().Start(). Calling Start twice is a no-op.
func (s *Server) Start() *Server {
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	if s.ts == nil {
		s.ts = httptest.NewServer(s.Handler())
	}
	return s
}

// Close stops the listener started by Start and closes its connections.
func (s *Server) Close() {
	s.tsMu.Lock()
	ts := s.ts
	s.ts = nil
	s.tsMu.Unlock()
	if ts != nil {
		// Connections parked in injected latency would make Close wait.
		ts.CloseClientConnections()
		ts.Close()
	}
}

// Handler returns the simulator as an http.Handler, for callers that run their
// own listener (e.g. the githubsim command).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// URL returns the API base URL with a trailing slash, e.g.
// "http://127.0.0.1:1234/", or "" before Start.
func (s *Server) URL() string {
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL + "/"
}

// AdminToken returns the bearer token that guards the /_sim/ admin API.
func (s *Server) AdminToken() string { return s.adminToken }

func (s *Server) now() time.Time { return s.clock() }

// randomHex returns n random bytes hex-encoded; crypto/rand never fails on
// supported platforms, so an error is a broken machine and worth a panic.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("githubsim: reading random bytes: " + err.Error())
	}
	return hex.EncodeToString(b)
}
