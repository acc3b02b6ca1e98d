package githubsim

import (
	"encoding/json"
	"time"
)

// Reviewer is a required reviewer of an environment, as GitHub stores it:
// a user or a team referenced by numeric id.
type Reviewer struct {
	// Type is "User" or "Team".
	Type string `json:"type"`
	// ID is the user's or team's numeric id.
	ID int64 `json:"id"`
	// Login is set for users.
	Login string `json:"login,omitempty"`
	// Slug is set for teams.
	Slug string `json:"slug,omitempty"`
}

// DeploymentBranchPolicy mirrors GitHub's deployment_branch_policy object.
// A nil *DeploymentBranchPolicy means "all branches may deploy".
type DeploymentBranchPolicy struct {
	ProtectedBranches    bool `json:"protected_branches"`
	CustomBranchPolicies bool `json:"custom_branch_policies"`
}

// BranchPolicy is a custom deployment branch or tag policy of an environment.
type BranchPolicy struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Type is "branch" or "tag".
	Type string `json:"type"`
}

// EnvironmentState is what GitHub holds for a deployment environment.
type EnvironmentState struct {
	Name              string     `json:"name"`
	ID                int64      `json:"id"`
	Reviewers         []Reviewer `json:"reviewers"`
	PreventSelfReview bool       `json:"prevent_self_review"`
	// WaitTimer is in minutes (0-43200).
	WaitTimer int `json:"wait_timer"`
	// CanAdminsBypass defaults to true as on GitHub.
	CanAdminsBypass        bool                    `json:"can_admins_bypass"`
	DeploymentBranchPolicy *DeploymentBranchPolicy `json:"deployment_branch_policy"`
	// BranchPolicies only exist while DeploymentBranchPolicy.CustomBranchPolicies is true.
	BranchPolicies []BranchPolicy `json:"branch_policies"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// ActionsState is a repository's GitHub Actions settings
// (/actions/permissions and /actions/permissions/workflow).
type ActionsState struct {
	Enabled bool `json:"enabled"`
	// AllowedActions is "all", "local_only" or "selected".
	AllowedActions     string `json:"allowed_actions"`
	SHAPinningRequired bool   `json:"sha_pinning_required"`
	// DefaultWorkflowPermissions is "read" or "write". Seeded repositories
	// start with "write" (GitHub's pre-2023 default) so that the operator has
	// something to tighten.
	DefaultWorkflowPermissions   string `json:"default_workflow_permissions"`
	CanApprovePullRequestReviews bool   `json:"can_approve_pull_request_reviews"`
}

// RefNameCondition selects the refs a ruleset applies to, e.g.
// Include: ["~DEFAULT_BRANCH"] or ["refs/heads/release/*"].
type RefNameCondition struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

// RulesetConditions is a ruleset's conditions object.
type RulesetConditions struct {
	RefName *RefNameCondition `json:"ref_name,omitempty"`
}

// StatusCheck is one required status check of a required_status_checks rule.
type StatusCheck struct {
	Context       string `json:"context"`
	IntegrationID *int64 `json:"integration_id,omitempty"`
}

// RulesetRule is one rule of a ruleset. Parameters is kept raw because each
// rule type has its own parameter schema; RequiredStatusChecks decodes the
// common case.
type RulesetRule struct {
	Type       string          `json:"type"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// RequiredStatusChecksParams are the parameters of a required_status_checks rule.
type RequiredStatusChecksParams struct {
	RequiredStatusChecks             []StatusCheck `json:"required_status_checks"`
	StrictRequiredStatusChecksPolicy bool          `json:"strict_required_status_checks_policy"`
	DoNotEnforceOnCreate             bool          `json:"do_not_enforce_on_create,omitempty"`
}

// RulesetState is a repository ruleset as GitHub holds it.
type RulesetState struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Target is "branch", "tag" or "push".
	Target string `json:"target"`
	// Enforcement is "disabled", "active" or "evaluate".
	Enforcement  string            `json:"enforcement"`
	BypassActors json.RawMessage   `json:"bypass_actors,omitempty"`
	Conditions   RulesetConditions `json:"conditions"`
	Rules        []RulesetRule     `json:"rules"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// RequiredStatusChecks returns the parameters of the ruleset's
// required_status_checks rule, or ok=false if it has none.
func (r RulesetState) RequiredStatusChecks() (p RequiredStatusChecksParams, ok bool) {
	for _, rule := range r.Rules {
		if rule.Type == "required_status_checks" && len(rule.Parameters) > 0 {
			if json.Unmarshal(rule.Parameters, &p) == nil {
				return p, true
			}
		}
	}
	return p, false
}

// RepoState is what GitHub holds for a repository.
type RepoState struct {
	ID        int64  `json:"id"`
	Owner     string `json:"owner"`
	OwnerID   int64  `json:"owner_id"`
	OwnerType string `json:"owner_type"` // "User" or "Organization"
	Name      string `json:"name"`
	FullName  string `json:"full_name"`
	// Private defaults to true: the operator's repositories are usually private.
	Private                  bool      `json:"private"`
	DefaultBranch            string    `json:"default_branch"`
	WebCommitSignoffRequired bool      `json:"web_commit_signoff_required"`
	CreatedAt                time.Time `json:"created_at"`
	UpdatedAt                time.Time `json:"updated_at"`
	// Internal makes a private repository's visibility "internal" (orgs.go).
	Internal bool `json:"internal,omitempty"`
	// Archived repositories are listed as archived.
	Archived bool `json:"archived,omitempty"`
	// Topics are the repository's topics, lower-case.
	Topics []string `json:"topics,omitempty"`
	// Properties are organisation custom property values by property name; a property with several
	// values is a multi-select one.
	Properties map[string][]string `json:"properties,omitempty"`
}

// RequestRecord is one logged GitHub API request (admin /_sim/ requests are
// not logged).
type RequestRecord struct {
	Method string `json:"method"`
	// Route is the matched template, e.g.
	// "GET /repos/{owner}/{repo}/environments/{environment_name}"; empty when
	// no route matched.
	Route string `json:"route"`
	Path  string `json:"path"`
	// Status is the status code sent; 0 when the connection was reset.
	Status int `json:"status"`
	// Token is the raw credential presented (PAT, installation token or app
	// JWT); empty for anonymous requests.
	Token string `json:"token"`
	// Conditional is true when the request carried If-None-Match.
	Conditional bool          `json:"conditional"`
	Time        time.Time     `json:"time"`
	Duration    time.Duration `json:"duration_ns"`
}

// Fault describes an injected failure on a route (see Server.SetFault).
// Faults are applied after routing. A fault with Reset, SecondaryRateLimit
// or Status fails the request (after Latency, if set) before authentication
// and rate limiting, in that order of precedence. A latency-only fault delays
// a request after it has been authenticated and admitted by the rate
// limiter, so the slow request counts as in flight for the concurrency
// limit, as a slow GitHub response would.
type Fault struct {
	// Latency delays the response.
	Latency time.Duration `json:"latency"`
	// Status, if non-zero, is returned instead of handling the request
	// (e.g. 500, 502, 503) with a GitHub-shaped error body.
	Status int `json:"status"`
	// Count is how many requests the fault applies to; 0 = forever.
	Count int `json:"count"`
	// Reset closes the connection without a response.
	Reset bool `json:"reset"`
	// SecondaryRateLimit answers 403 with retry-after, as GitHub's
	// secondary (abuse) limit does.
	SecondaryRateLimit bool `json:"secondary_rate_limit"`
	// RetryAfter is the retry-after value in seconds for SecondaryRateLimit
	// (default 60).
	RetryAfter int `json:"retry_after"`
}
