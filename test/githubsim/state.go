package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// state is everything "GitHub" holds. It is guarded by Server.mu.
type state struct {
	nextID int64
	// accounts holds users and organizations by lower-cased login, because
	// GitHub logins are case-insensitive.
	accounts  map[string]*account
	teams     map[string]*team // "org/slug", lower-cased
	repos     map[string]*repo // "owner/name", lower-cased
	reposByID map[int64]*repo
	// renamed maps old "owner/name" keys of renamed repositories to their ids (RenameRepo).
	renamed       map[string]int64
	tokens        map[string]*credential
	apps          map[int64]*app
	installations map[int64]*installation
}

type account struct {
	ID        int64
	Login     string
	Type      string // "User" or "Organization"
	CreatedAt time.Time
}

type team struct {
	ID        int64
	Org       *account
	Slug      string
	CreatedAt time.Time
}

type repo struct {
	RepoState
	owner    *account
	envs     map[string]*environment // lower-cased name: GitHub environment names are case-insensitive
	actions  ActionsState
	rulesets map[int64]*RulesetState
	files    map[string][]byte // path without leading slash
	symlinks map[string]bool   // paths of files that are symbolic links (see git.go)
	// attestations are Sigstore bundles by subject digest (attestations.go).
	attestations map[string][][]byte
}

type environment struct {
	EnvironmentState
	// Protection rule ids stay stable while a rule exists, as on GitHub.
	waitRuleID, reviewersRuleID, branchRuleID int64
	key                                       *envKey
	// staleKeyIDs are key ids from before a rotation, rejected on PUT.
	staleKeyIDs map[string]bool
	secrets     map[string]*secret // upper-cased name: GitHub stores secret names upper-case
}

type envKey struct {
	ID        string
	Pub, Priv *[32]byte
}

type secret struct {
	Name                 string
	Value                []byte
	CreatedAt, UpdatedAt time.Time
}

// credentialKind tells which GitHub credential a token string is.
type credentialKind int

const (
	credPAT credentialKind = iota
	credInstallation
)

type credential struct {
	Kind     credentialKind
	Token    string
	AllRepos bool
	Repos    map[string]bool // lower-cased "owner/name"
	ReadOnly bool
	// ExpiresAt is zero for tokens that never expire (PATs by default).
	ExpiresAt      time.Time
	InstallationID int64
}

type app struct {
	ID        int64
	Key       *rsa.PublicKey
	CreatedAt time.Time
}

type installation struct {
	ID, AppID int64
	AllRepos  bool
	Repos     map[string]bool // lower-cased "owner/name"
}

func newState() *state {
	return &state{
		nextID:        1000,
		accounts:      map[string]*account{},
		teams:         map[string]*team{},
		repos:         map[string]*repo{},
		reposByID:     map[int64]*repo{},
		tokens:        map[string]*credential{},
		apps:          map[int64]*app{},
		installations: map[int64]*installation{},
	}
}

func (st *state) newID() int64 {
	st.nextID++
	return st.nextID
}

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }

// ensureAccount returns the account for login, creating it with typ if absent.
func (st *state) ensureAccount(login, typ string, now time.Time) *account {
	k := strings.ToLower(login)
	if a, ok := st.accounts[k]; ok {
		return a
	}
	a := &account{ID: st.newID(), Login: login, Type: typ, CreatedAt: now}
	st.accounts[k] = a
	return a
}

// repoSet turns "owner/name" strings into a lower-cased set; "*" means all.
func repoSet(repos []string) (all bool, set map[string]bool) {
	set = map[string]bool{}
	for _, r := range repos {
		if r == "*" {
			all = true
			continue
		}
		set[strings.ToLower(r)] = true
	}
	return all, set
}

// AddUser seeds a user and returns its id; an existing login keeps its id.
func (s *Server) AddUser(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ensureAccount(login, "User", s.now()).ID
}

// AddOrg seeds an organization and returns its id; an existing login keeps
// its id.
func (s *Server) AddOrg(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ensureAccount(login, "Organization", s.now()).ID
}

// AddTeam seeds a team in org (creating the org if needed) and returns its id.
func (s *Server) AddTeam(org, slug string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.ensureAccount(org, "Organization", s.now())
	k := strings.ToLower(org + "/" + slug)
	if t, ok := s.st.teams[k]; ok {
		return t.ID
	}
	t := &team{ID: s.st.newID(), Org: o, Slug: slug, CreatedAt: s.now()}
	s.st.teams[k] = t
	return t.ID
}

// AddRepo seeds a private repository with default branch "main" and returns
// its id. The owner is created as a user if it does not exist yet (seed
// organizations with AddOrg first). Actions settings start as on an older
// GitHub repository: enabled, all actions allowed, no SHA pinning, and
// default_workflow_permissions "write" so the operator has something to fix.
func (s *Server) AddRepo(owner, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := repoKey(owner, name)
	if r, ok := s.st.repos[k]; ok {
		return r.ID
	}
	now := s.now()
	o := s.st.ensureAccount(owner, "User", now)
	r := &repo{
		RepoState: RepoState{
			ID: s.st.newID(), Owner: o.Login, OwnerID: o.ID, OwnerType: o.Type,
			Name: name, FullName: o.Login + "/" + name, Private: true,
			DefaultBranch: "main", CreatedAt: now, UpdatedAt: now,
		},
		owner: o,
		envs:  map[string]*environment{},
		actions: ActionsState{
			Enabled: true, AllowedActions: "all", DefaultWorkflowPermissions: "write",
		},
		rulesets: map[int64]*RulesetState{},
		files:    map[string][]byte{},
	}
	s.st.repos[k] = r
	s.st.reposByID[r.ID] = r
	return r.ID
}

// AddToken seeds a personal access token with admin access to repos, given
// as "owner/name". No repos means access to none (requests for repositories
// answer 404, as GitHub does for repositories a token cannot see); "*" grants
// all repositories, including ones added later.
func (s *Server) AddToken(token string, repos ...string) {
	s.addToken(token, false, repos)
}

// AddReadOnlyToken seeds a personal access token that can read repos but gets
// 403 "Resource not accessible by personal access token" on writes.
func (s *Server) AddReadOnlyToken(token string, repos ...string) {
	s.addToken(token, true, repos)
}

func (s *Server) addToken(token string, readOnly bool, repos []string) {
	all, set := repoSet(repos)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokens[token] = &credential{Kind: credPAT, Token: token, AllRepos: all, Repos: set, ReadOnly: readOnly}
}

// RevokeToken deletes a token, so that it answers 401 Bad credentials.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.tokens, token)
}

// AddApp seeds a GitHub App whose JWTs (RS256, iss = app id) are verified
// against publicKeyPEM (PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY"). It
// panics on an unparsable key because that is a broken test fixture; use
// AddAppE to get the error.
func (s *Server) AddApp(appID int64, publicKeyPEM []byte) {
	if err := s.AddAppE(appID, publicKeyPEM); err != nil {
		panic(err)
	}
}

// AddAppE is AddApp returning an error for an unparsable key.
func (s *Server) AddAppE(appID int64, publicKeyPEM []byte) error {
	key, err := parseRSAPublicKey(publicKeyPEM)
	if err != nil {
		return fmt.Errorf("githubsim: app %d: %w", appID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.apps[appID] = &app{ID: appID, Key: key, CreatedAt: s.now()}
	return nil
}

// AddInstallation seeds an installation of appID with access to repos
// ("owner/name", or "*" for all).
func (s *Server) AddInstallation(appID, installationID int64, repos ...string) {
	all, set := repoSet(repos)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.installations[installationID] = &installation{ID: installationID, AppID: appID, AllRepos: all, Repos: set}
}

// SetFile creates or replaces a file served by the contents API. It is a
// no-op for an unknown repository.
func (s *Server) SetFile(owner, repo, path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repos[repoKey(owner, repo)]; r != nil {
		r.files[strings.Trim(path, "/")] = append([]byte(nil), content...)
		delete(r.symlinks, strings.Trim(path, "/"))
	}
}

// DeleteFile removes a file from the contents API.
func (s *Server) DeleteFile(owner, repo, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repos[repoKey(owner, repo)]; r != nil {
		delete(r.files, strings.Trim(path, "/"))
	}
}

// newEnvironment creates an environment with a fresh secrets key pair.
func (st *state) newEnvironment(r *repo, name string, now time.Time) *environment {
	e := &environment{
		EnvironmentState: EnvironmentState{
			Name: name, ID: st.newID(), CanAdminsBypass: true, CreatedAt: now, UpdatedAt: now,
		},
		key:         newEnvKey(),
		staleKeyIDs: map[string]bool{},
		secrets:     map[string]*secret{},
	}
	r.envs[strings.ToLower(name)] = e
	return e
}

// newEnvKey generates a Curve25519 key pair as GitHub does per environment.
// The key id is a long decimal like GitHub's.
func newEnvKey() *envKey {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		panic("githubsim: generating an environment key pair: " + err.Error())
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return &envKey{ID: fmt.Sprintf("%d", n>>1), Pub: pub, Priv: priv}
}

// syncRuleIDs gives each present protection rule an id and drops ids of
// absent ones, so the ids in responses are stable while a rule exists.
func (st *state) syncRuleIDs(e *environment) {
	set := func(id *int64, present bool) {
		switch {
		case present && *id == 0:
			*id = st.newID()
		case !present:
			*id = 0
		}
	}
	set(&e.waitRuleID, e.WaitTimer > 0)
	set(&e.reviewersRuleID, len(e.Reviewers) > 0)
	set(&e.branchRuleID, e.DeploymentBranchPolicy != nil)
	if e.DeploymentBranchPolicy == nil || !e.DeploymentBranchPolicy.CustomBranchPolicies {
		// GitHub drops the custom policies when custom_branch_policies is turned off.
		e.BranchPolicies = nil
	}
}

func (st *state) repoByName(owner, name string) *repo {
	if r := st.repos[repoKey(owner, name)]; r != nil {
		return r
	}
	if id, ok := st.renamed[repoKey(owner, name)]; ok {
		return st.reposByID[id] // a renamed repository's old name (RenameRepo)
	}
	return nil
}

func (r *repo) env(name string) *environment { return r.envs[strings.ToLower(name)] }

func (r *repo) sortedEnvs() []*environment {
	out := make([]*environment, 0, len(r.envs))
	for _, e := range r.envs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

func (e *environment) sortedSecrets() []*secret {
	out := make([]*secret, 0, len(e.secrets))
	for _, sc := range e.secrets {
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *repo) sortedRulesets() []*RulesetState {
	out := make([]*RulesetState, 0, len(r.rulesets))
	for _, rs := range r.rulesets {
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// canSee reports whether a credential may access a repository.
func (c *credential) canSee(r *repo) bool {
	return c != nil && (c.AllRepos || c.Repos[strings.ToLower(r.FullName)])
}
