package github

import (
	"context"
	"time"
)

// Repository is what the operator needs to know of a repository.
type Repository struct {
	ID                       int64
	Owner                    string
	Name                     string
	DefaultBranch            string
	WebCommitSignoffRequired bool
	// Admin is GitHub's permissions.admin: whether the credentials' user administers the repository;
	// nil when GitHub did not say (installation tokens).
	Admin *bool
}

// ReviewerType is User or Team, as GitHub spells it.
type ReviewerType string

const (
	// ReviewerUser is a GitHub user.
	ReviewerUser ReviewerType = "User"
	// ReviewerTeam is a GitHub team.
	ReviewerTeam ReviewerType = "Team"
)

// Reviewer is a required reviewer of an environment, by GitHub id.
type Reviewer struct {
	Type ReviewerType
	ID   int64
}

// BranchPolicyMode is an environment's deployment branch policy.
type BranchPolicyMode int

const (
	// AllBranches lets any branch or tag deploy (GitHub's deployment_branch_policy: null).
	AllBranches BranchPolicyMode = iota
	// ProtectedBranches lets only protected branches deploy.
	ProtectedBranches
	// CustomBranchPolicies lets only refs matching the environment's branch policies deploy.
	CustomBranchPolicies
)

// EnvironmentSettings is the desired state of an environment's protection rules.
type EnvironmentSettings struct {
	Name              string
	Reviewers         []Reviewer
	PreventSelfReview bool
	WaitTimer         int
	BranchPolicy      BranchPolicyMode
	// CanAdminsBypass is GitHub's can_admins_bypass: whether repository administrators may deploy without
	// the reviewers' approval. nil means: in a PUT, leave GitHub's value as it is (the key is not sent);
	// in an answer, the server did not report it (older GitHub Enterprise Server has no such setting).
	CanAdminsBypass *bool
}

// Environment is an environment as GitHub holds it.
type Environment struct {
	ID   int64
	Name string
	EnvironmentSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BranchPolicy is a deployment branch or tag name pattern of an environment.
type BranchPolicy struct {
	ID   int64
	Name string
	// Type is "branch" or "tag".
	Type string
}

// PublicKey is an environment's Curve25519 public key for sealing secrets.
type PublicKey struct {
	KeyID string
	// Key is the raw 32-byte key.
	Key [32]byte
}

// SecretMetadata is what GitHub tells of a secret: never its value.
type SecretMetadata struct {
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ActionsPermissions are the repository's Actions permissions (GET/PUT /repos/{o}/{r}/actions/permissions).
type ActionsPermissions struct {
	Enabled bool
	// AllowedActions is "all", "local_only" or "selected"; kept as GitHub has it.
	AllowedActions string
	// SHAPinningRequired is GitHub's "require actions to be pinned to a full-length commit SHA".
	SHAPinningRequired bool
}

// WorkflowPermissions are the default GITHUB_TOKEN permissions (…/actions/permissions/workflow).
type WorkflowPermissions struct {
	// DefaultWorkflowPermissions is "read" or "write".
	DefaultWorkflowPermissions   string
	CanApprovePullRequestReviews bool
}

// Ruleset is a repository ruleset that requires status checks on some refs.
type Ruleset struct {
	ID   int64
	Name string
	// Target is "branch", "tag" or "push"; Create and Update send "branch" when it is empty.
	Target string
	// Enforcement is "active", "evaluate" or "disabled".
	Enforcement string
	// IncludeRefs are ref_name conditions, e.g. "~DEFAULT_BRANCH".
	IncludeRefs []string
	ExcludeRefs []string
	// RequiredStatusChecks are the contexts of a required_status_checks rule (empty: no such rule).
	RequiredStatusChecks []string
}

// Client is GitHub, in the operator's terms. Every method's errors are typed (see errors.go).
// Implementations are safe for concurrent use; requests with one token are serialised underneath.
type Client interface {
	Organizations

	// Identity is a non-secret label for the credentials (e.g. "app-123/installation-456" or "token-<hash prefix>"),
	// used in metrics and logs. It is for humans only: two credentials may share it, so nothing is keyed by it.
	Identity() string

	// GetRepository reads a repository; a repository the credentials cannot see is a NotFound error.
	GetRepository(ctx context.Context, owner, repo string) (*Repository, error)
	// SetWebCommitSignoffRequired sets whether commits made on GitHub's web interface must be signed off.
	SetWebCommitSignoffRequired(ctx context.Context, owner, repo string, required bool) error

	// UserID resolves a login to its id; an unknown login is a NotFound error.
	UserID(ctx context.Context, login string) (int64, error)
	// TeamID resolves a team slug in an organisation to its id; an unknown team is a NotFound error.
	TeamID(ctx context.Context, org, slug string) (int64, error)

	// GetEnvironment reads an environment; a missing one is a NotFound error.
	GetEnvironment(ctx context.Context, owner, repo, name string) (*Environment, error)
	// PutEnvironment creates or updates an environment's protection rules.
	PutEnvironment(ctx context.Context, owner, repo string, env EnvironmentSettings) (*Environment, error)
	// DeleteEnvironment deletes an environment; a missing one is not an error.
	DeleteEnvironment(ctx context.Context, owner, repo, name string) error
	// ListBranchPolicies lists an environment's custom deployment branch and tag policies.
	ListBranchPolicies(ctx context.Context, owner, repo, env string) ([]BranchPolicy, error)
	// CreateBranchPolicy adds a deployment branch or tag policy.
	CreateBranchPolicy(ctx context.Context, owner, repo, env string, p BranchPolicy) (*BranchPolicy, error)
	// DeleteBranchPolicy removes a deployment branch or tag policy; a missing one is not an error.
	DeleteBranchPolicy(ctx context.Context, owner, repo, env string, id int64) error

	// EnvironmentPublicKey reads the key to seal an environment's secrets with.
	EnvironmentPublicKey(ctx context.Context, repoID int64, env string) (*PublicKey, error)
	// ListEnvironmentSecrets lists an environment's secrets (names and times, never values).
	ListEnvironmentSecrets(ctx context.Context, repoID int64, env string) ([]SecretMetadata, error)
	// PutEnvironmentSecret stores a value sealed with the environment's public key (see Seal).
	PutEnvironmentSecret(ctx context.Context, repoID int64, env, name string, sealed SealedSecret) error
	// DeleteEnvironmentSecret deletes a secret; a missing one is not an error.
	DeleteEnvironmentSecret(ctx context.Context, repoID int64, env, name string) error

	// GetActionsPermissions reads the repository's Actions permissions.
	GetActionsPermissions(ctx context.Context, owner, repo string) (*ActionsPermissions, error)
	// SetActionsPermissions writes them (all fields).
	SetActionsPermissions(ctx context.Context, owner, repo string, p ActionsPermissions) error
	// GetWorkflowPermissions reads the default GITHUB_TOKEN permissions.
	GetWorkflowPermissions(ctx context.Context, owner, repo string) (*WorkflowPermissions, error)
	// SetWorkflowPermissions writes them.
	SetWorkflowPermissions(ctx context.Context, owner, repo string, p WorkflowPermissions) error

	// ListRulesets lists the repository's own rulesets (not inherited ones). GitHub lists summaries: ID,
	// Name, Target and Enforcement are set, refs and status checks are not (GetRuleset reads those).
	ListRulesets(ctx context.Context, owner, repo string) ([]Ruleset, error)
	// GetRuleset reads one ruleset in full; a missing one is a NotFound error.
	GetRuleset(ctx context.Context, owner, repo string, id int64) (*Ruleset, error)
	// CreateRuleset creates a branch ruleset.
	CreateRuleset(ctx context.Context, owner, repo string, r Ruleset) (*Ruleset, error)
	// UpdateRuleset replaces a ruleset.
	UpdateRuleset(ctx context.Context, owner, repo string, r Ruleset) (*Ruleset, error)
	// DeleteRuleset deletes a ruleset; a missing one is not an error.
	DeleteRuleset(ctx context.Context, owner, repo string, id int64) error

	// WorkflowFiles reads .github/workflows/*.yml and *.yaml on the default branch, keyed by path.
	// A repository without that folder has none.
	WorkflowFiles(ctx context.Context, owner, repo string) (map[string][]byte, error)

	// GitTree lists a git tree: ref is a branch name or a tree sha, recursive lists everything below.
	// A branch with no commits is a NotFound or Conflict error, as GitHub answers.
	GitTree(ctx context.Context, owner, repo, ref string, recursive bool) (*GitTree, error)
	// GitBlob reads a blob by sha; the content is checked to hash to sha.
	GitBlob(ctx context.Context, owner, repo, sha string) ([]byte, error)
}

// Credentials are what a pipeline's credentials Secret holds: a token, or a GitHub App installation.
type Credentials struct {
	Token          string
	AppID          int64
	InstallationID int64
	PrivateKey     []byte
}

// Connection identifies a client: which API, which credentials Secret, and the Secret's version.
type Connection struct {
	// APIURL is the REST API base URL; the factory canonicalises it (ParseServer) and refuses what the
	// CRD's admission rules refuse.
	APIURL string
	// SecretKey is "namespace/name" of the credentials Secret.
	SecretKey string
	// SecretVersion is the Secret's resourceVersion; a change rebuilds the client.
	SecretVersion string
	Credentials   Credentials
}

// Factory builds Clients. Implementations cache them per (canonical server, SecretKey) and rebuild when
// SecretVersion changes. ETag caches and rate-limit state belong to the credentials' identity on that
// server, not to a client, so they survive reconciles and rebuilds.
type Factory interface {
	ClientFor(ctx context.Context, c Connection) (Client, error)
	// Cached returns the client ClientFor built for (apiURL, secretKey) from the Secret's version, or
	// nil if there is none at that version; it lets a caller that knows the Secret's version from its
	// metadata skip reading the Secret again.
	Cached(apiURL, secretKey, version string) Client
	// Forget drops the cached client of (apiURL, secretKey), e.g. when no pipeline uses that Secret any
	// more, so that a long-running operator does not keep clients (and their caches) of deleted pipelines.
	Forget(apiURL, secretKey string)
}
