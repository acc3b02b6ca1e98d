package githubsim

import (
	"sort"
	"strings"
	"time"
)

// StateSnapshot is everything the simulator holds, including decrypted
// secret values; it is what GET /_sim/state returns.
type StateSnapshot struct {
	Accounts      []AccountInfo      `json:"accounts"`
	Teams         []TeamInfo         `json:"teams"`
	Repos         []RepoSnapshot     `json:"repos"`
	Tokens        []TokenInfo        `json:"tokens"`
	Apps          []int64            `json:"apps"`
	Installations []InstallationInfo `json:"installations"`
}

// AccountInfo is a user or organization.
type AccountInfo struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Type  string `json:"type"`
}

// TeamInfo is a team of an organization.
type TeamInfo struct {
	ID   int64  `json:"id"`
	Org  string `json:"org"`
	Slug string `json:"slug"`
}

// RepoSnapshot is a repository with everything under it.
type RepoSnapshot struct {
	RepoState
	Actions      ActionsState          `json:"actions"`
	Environments []EnvironmentSnapshot `json:"environments"`
	Rulesets     []RulesetState        `json:"rulesets"`
	Files        []FileInfo            `json:"files"`
}

// EnvironmentSnapshot is an environment with its secrets in clear.
type EnvironmentSnapshot struct {
	EnvironmentState
	PublicKeyID string           `json:"public_key_id"`
	Secrets     []SecretSnapshot `json:"secrets"`
}

// SecretSnapshot is a decrypted environment secret.
type SecretSnapshot struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FileInfo is a file served by the contents API.
type FileInfo struct {
	Path    string `json:"path"`
	SHA     string `json:"sha"`
	Size    int    `json:"size"`
	Content string `json:"content"`
}

// TokenInfo is a PAT or installation token.
type TokenInfo struct {
	Token          string     `json:"token"`
	Kind           string     `json:"kind"` // "pat" or "installation"
	AllRepos       bool       `json:"all_repos"`
	Repos          []string   `json:"repos"`
	ReadOnly       bool       `json:"read_only"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	InstallationID int64      `json:"installation_id,omitempty"`
}

// InstallationInfo is an app installation.
type InstallationInfo struct {
	ID       int64    `json:"id"`
	AppID    int64    `json:"app_id"`
	AllRepos bool     `json:"all_repos"`
	Repos    []string `json:"repos"`
}

func sortedSet(m map[string]bool) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Snapshot returns a deep copy of the whole state, sorted for stable output.
func (s *Server) Snapshot() StateSnapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	snap := StateSnapshot{Accounts: []AccountInfo{}, Teams: []TeamInfo{}, Repos: []RepoSnapshot{}, Tokens: []TokenInfo{}, Apps: []int64{}, Installations: []InstallationInfo{}}
	for _, a := range st.accounts {
		snap.Accounts = append(snap.Accounts, AccountInfo{ID: a.ID, Login: a.Login, Type: a.Type})
	}
	sort.Slice(snap.Accounts, func(i, j int) bool { return snap.Accounts[i].ID < snap.Accounts[j].ID })
	for _, t := range st.teams {
		snap.Teams = append(snap.Teams, TeamInfo{ID: t.ID, Org: t.Org.Login, Slug: t.Slug})
	}
	sort.Slice(snap.Teams, func(i, j int) bool { return snap.Teams[i].ID < snap.Teams[j].ID })
	for _, r := range st.repos {
		rs := RepoSnapshot{RepoState: r.RepoState, Actions: r.actions, Environments: []EnvironmentSnapshot{}, Rulesets: []RulesetState{}, Files: []FileInfo{}}
		for _, e := range r.sortedEnvs() {
			es := EnvironmentSnapshot{EnvironmentState: e.EnvironmentState.clone(), PublicKeyID: e.key.ID, Secrets: []SecretSnapshot{}}
			for _, sc := range e.sortedSecrets() {
				es.Secrets = append(es.Secrets, SecretSnapshot{Name: sc.Name, Value: string(sc.Value), CreatedAt: sc.CreatedAt, UpdatedAt: sc.UpdatedAt})
			}
			rs.Environments = append(rs.Environments, es)
		}
		for _, x := range r.sortedRulesets() {
			rs.Rulesets = append(rs.Rulesets, x.clone())
		}
		for p, content := range r.files {
			rs.Files = append(rs.Files, FileInfo{Path: p, SHA: gitBlobSHA(content), Size: len(content), Content: string(content)})
		}
		sort.Slice(rs.Files, func(i, j int) bool { return rs.Files[i].Path < rs.Files[j].Path })
		snap.Repos = append(snap.Repos, rs)
	}
	sort.Slice(snap.Repos, func(i, j int) bool {
		return strings.ToLower(snap.Repos[i].FullName) < strings.ToLower(snap.Repos[j].FullName)
	})
	for _, c := range st.tokens {
		ti := TokenInfo{Token: c.Token, Kind: "pat", AllRepos: c.AllRepos, Repos: sortedSet(c.Repos), ReadOnly: c.ReadOnly, InstallationID: c.InstallationID}
		if c.Kind == credInstallation {
			ti.Kind = "installation"
		}
		if !c.ExpiresAt.IsZero() {
			t := c.ExpiresAt
			ti.ExpiresAt = &t
		}
		snap.Tokens = append(snap.Tokens, ti)
	}
	sort.Slice(snap.Tokens, func(i, j int) bool { return snap.Tokens[i].Token < snap.Tokens[j].Token })
	for id := range st.apps {
		snap.Apps = append(snap.Apps, id)
	}
	sort.Slice(snap.Apps, func(i, j int) bool { return snap.Apps[i] < snap.Apps[j] })
	for _, in := range st.installations {
		snap.Installations = append(snap.Installations, InstallationInfo{ID: in.ID, AppID: in.AppID, AllRepos: in.AllRepos, Repos: sortedSet(in.Repos)})
	}
	sort.Slice(snap.Installations, func(i, j int) bool { return snap.Installations[i].ID < snap.Installations[j].ID })
	return snap
}
