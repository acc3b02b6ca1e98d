package githubsim

import (
	"net/http"
	"time"
)

// Option configures a Server created by New.
type Option func(*Server)

// Server is a simulated GitHub REST API. The zero value is not usable; create
// one with New. All methods are safe for concurrent use.
type Server struct{}

// New creates a simulator (not yet listening).
func New(opts ...Option) *Server { return &Server{} }

// WithAdminToken sets the bearer token that guards the /_sim/ admin API.
func WithAdminToken(tok string) Option { return func(*Server) {} }

// WithPrimaryRateLimit sets the per-token hourly request budget (default 5000).
func WithPrimaryRateLimit(perHour int) Option { return func(*Server) {} }

// WithSecondaryLimits sets GitHub's secondary limits per token; 0 = unlimited.
func WithSecondaryLimits(maxConcurrentPerToken, perMinute int) Option { return func(*Server) {} }

// WithInstallationTokenTTL sets how long installation tokens live (default 1h).
func WithInstallationTokenTTL(d time.Duration) Option { return func(*Server) {} }

// WithClock replaces time.Now, e.g. to expire tokens or reset rate limits in tests.
func WithClock(now func() time.Time) Option { return func(*Server) {} }

// Start listens on 127.0.0.1:0 and returns the server.
func (s *Server) Start() *Server { return s }

// Close stops the listener started by Start.
func (s *Server) Close() {}

// Handler returns the simulator as an http.Handler.
func (s *Server) Handler() http.Handler { return http.NotFoundHandler() }

// URL returns the API base URL with a trailing slash.
func (s *Server) URL() string { return "" }

// AdminToken returns the token that guards the /_sim/ admin API.
func (s *Server) AdminToken() string { return "" }

// AddUser seeds a user and returns its id.
func (s *Server) AddUser(login string) int64 { return 0 }

// AddOrg seeds an organization and returns its id.
func (s *Server) AddOrg(login string) int64 { return 0 }

// AddTeam seeds a team in org and returns its id.
func (s *Server) AddTeam(org, slug string) int64 { return 0 }

// AddRepo seeds a repository and returns its id.
func (s *Server) AddRepo(owner, name string) int64 { return 0 }

// AddToken seeds a personal access token with admin access to repos ("owner/name" or "*").
func (s *Server) AddToken(token string, repos ...string) {}

// AddApp seeds a GitHub App whose JWTs are verified with publicKeyPEM (RS256).
func (s *Server) AddApp(appID int64, publicKeyPEM []byte) {}

// AddInstallation seeds an installation of appID with access to repos.
func (s *Server) AddInstallation(appID, installationID int64, repos ...string) {}

// SetFile creates or replaces a file served by the contents API.
func (s *Server) SetFile(owner, repo, path string, content []byte) {}

// DeleteFile removes a file from the contents API.
func (s *Server) DeleteFile(owner, repo, path string) {}

// Environment returns a copy of an environment's state.
func (s *Server) Environment(owner, repo, env string) (EnvironmentState, bool) {
	return EnvironmentState{}, false
}

// EnvironmentNames returns the sorted environment names of a repository.
func (s *Server) EnvironmentNames(owner, repo string) []string { return nil }

// SecretValue returns an environment secret's decrypted value.
func (s *Server) SecretValue(owner, repo, env, name string) (value string, updatedAt time.Time, ok bool) {
	return "", time.Time{}, false
}

// SecretNames returns the sorted secret names of an environment.
func (s *Server) SecretNames(owner, repo, env string) []string { return nil }

// ActionsPermissions returns a repository's Actions settings.
func (s *Server) ActionsPermissions(owner, repo string) ActionsState { return ActionsState{} }

// Rulesets returns copies of a repository's rulesets ordered by id.
func (s *Server) Rulesets(owner, repo string) []RulesetState { return nil }

// Repo returns a copy of a repository's state.
func (s *Server) Repo(owner, repo string) (RepoState, bool) { return RepoState{}, false }

// UpdateEnvironment changes an environment out of band, as a human would.
func (s *Server) UpdateEnvironment(owner, repo, env string, mutate func(*EnvironmentState)) {}

// SetSecretValue overwrites an environment secret out of band.
func (s *Server) SetSecretValue(owner, repo, env, name, value string) {}

// UpdateActionsPermissions changes Actions settings out of band.
func (s *Server) UpdateActionsPermissions(owner, repo string, mutate func(*ActionsState)) {}

// DeleteRuleset deletes a ruleset out of band.
func (s *Server) DeleteRuleset(owner, repo string, id int64) {}

// Requests returns a copy of the request log.
func (s *Server) Requests() []RequestRecord { return nil }

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {}

// SetFault injects a fault on a route template or "*".
func (s *Server) SetFault(route string, f Fault) {}

// ClearFaults removes all injected faults.
func (s *Server) ClearFaults() {}

