package githubsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Seed is a declarative description of what GitHub holds at start, read by
// the githubsim command's --seed flag and POST /_sim/seed. It is JSON or
// YAML (YAML is converted to JSON, so the json tags are the field names):
//
//	users: [alice, bob]
//	orgs: [acme]
//	teams: [acme/platform]              # or {org: acme, slug: platform}
//	repos: [acme/widgets]               # or {owner, name, private, default_branch, web_commit_signoff_required}
//	tokens:
//	  - {token: ghp_demo, repos: [acme/widgets]}   # repos ["*"] = all; read_only: true for 403 on writes
//	apps:
//	  - {id: 42, public_key_file: app.pub.pem}     # or public_key_pem: "-----BEGIN PUBLIC KEY-----..."
//	installations:
//	  - {app_id: 42, id: 4242, repos: [acme/widgets]}
//	files:
//	  - {repo: acme/widgets, path: .github/workflows/ci.yml, content: "on: push\n"}  # or content_base64
type Seed struct {
	Users         []string           `json:"users,omitempty"`
	Orgs          []string           `json:"orgs,omitempty"`
	Teams         []SeedTeam         `json:"teams,omitempty"`
	Repos         []SeedRepo         `json:"repos,omitempty"`
	Tokens        []SeedToken        `json:"tokens,omitempty"`
	Apps          []SeedApp          `json:"apps,omitempty"`
	Installations []SeedInstallation `json:"installations,omitempty"`
	Files         []SeedFile         `json:"files,omitempty"`
}

// SeedTeam is a team; in JSON either "org/slug" or {org, slug}.
type SeedTeam struct {
	Org  string `json:"org"`
	Slug string `json:"slug"`
}

// UnmarshalJSON accepts "org/slug" as well as the object form.
func (t *SeedTeam) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		org, slug, ok := strings.Cut(s, "/")
		if !ok {
			return fmt.Errorf("team %q: want org/slug", s)
		}
		*t = SeedTeam{Org: org, Slug: slug}
		return nil
	}
	type plain SeedTeam
	return json.Unmarshal(b, (*plain)(t))
}

// SeedRepo is a repository; in JSON either "owner/name" or an object.
// Private defaults to true and DefaultBranch to "main".
type SeedRepo struct {
	Owner                    string `json:"owner"`
	Name                     string `json:"name"`
	Private                  *bool  `json:"private,omitempty"`
	DefaultBranch            string `json:"default_branch,omitempty"`
	WebCommitSignoffRequired bool   `json:"web_commit_signoff_required,omitempty"`
}

// UnmarshalJSON accepts "owner/name" as well as the object form.
func (r *SeedRepo) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		owner, name, ok := strings.Cut(s, "/")
		if !ok {
			return fmt.Errorf("repo %q: want owner/name", s)
		}
		*r = SeedRepo{Owner: owner, Name: name}
		return nil
	}
	type plain SeedRepo
	return json.Unmarshal(b, (*plain)(r))
}

// SeedToken is a personal access token with access to Repos ("*" = all).
type SeedToken struct {
	Token    string   `json:"token"`
	Repos    []string `json:"repos"`
	ReadOnly bool     `json:"read_only,omitempty"`
}

// SeedApp is a GitHub App; the key is inline PEM or a file path (relative
// paths are resolved against the seed file's directory). A private key PEM
// is accepted too; only its public half is kept.
type SeedApp struct {
	ID            int64  `json:"id"`
	PublicKeyPEM  string `json:"public_key_pem,omitempty"`
	PublicKeyFile string `json:"public_key_file,omitempty"`
}

// SeedInstallation is an installation of an app with access to Repos.
type SeedInstallation struct {
	AppID int64    `json:"app_id"`
	ID    int64    `json:"id"`
	Repos []string `json:"repos"`
}

// SeedFile is a file on a repository's default branch.
type SeedFile struct {
	Repo          string `json:"repo"`
	Path          string `json:"path"`
	Content       string `json:"content,omitempty"`
	ContentBase64 string `json:"content_base64,omitempty"`
}

// SeedResult reports the ids the seeded entities got.
type SeedResult struct {
	Users map[string]int64 `json:"users"`
	Orgs  map[string]int64 `json:"orgs"`
	Teams map[string]int64 `json:"teams"`
	Repos map[string]int64 `json:"repos"`
}

// ParseSeed parses a JSON or YAML seed document.
func ParseSeed(data []byte) (*Seed, error) {
	var sd Seed
	if err := yaml.Unmarshal(data, &sd); err != nil {
		return nil, fmt.Errorf("parsing seed: %w", err)
	}
	return &sd, nil
}

// LoadSeedFile reads and parses a seed file, resolving app key files
// relative to it.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading seed file: %w", err)
	}
	sd, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, a := range sd.Apps {
		if a.PublicKeyFile != "" && !filepath.IsAbs(a.PublicKeyFile) {
			sd.Apps[i].PublicKeyFile = filepath.Join(filepath.Dir(path), a.PublicKeyFile)
		}
	}
	return sd, nil
}

// ApplySeed adds everything in sd. Entities that already exist keep their
// ids. It stops at the first invalid entry.
func (s *Server) ApplySeed(sd *Seed) (*SeedResult, error) {
	res := &SeedResult{Users: map[string]int64{}, Orgs: map[string]int64{}, Teams: map[string]int64{}, Repos: map[string]int64{}}
	for _, u := range sd.Users {
		res.Users[u] = s.AddUser(u)
	}
	for _, o := range sd.Orgs {
		res.Orgs[o] = s.AddOrg(o)
	}
	for _, t := range sd.Teams {
		if t.Org == "" || t.Slug == "" {
			return res, fmt.Errorf("seed team %+v: org and slug are required", t)
		}
		res.Teams[t.Org+"/"+t.Slug] = s.AddTeam(t.Org, t.Slug)
	}
	for _, r := range sd.Repos {
		if r.Owner == "" || r.Name == "" {
			return res, fmt.Errorf("seed repo %+v: owner and name are required", r)
		}
		res.Repos[r.Owner+"/"+r.Name] = s.AddRepo(r.Owner, r.Name)
		s.UpdateRepo(r.Owner, r.Name, func(st *RepoState) {
			if r.Private != nil {
				st.Private = *r.Private
			}
			if r.DefaultBranch != "" {
				st.DefaultBranch = r.DefaultBranch
			}
			st.WebCommitSignoffRequired = r.WebCommitSignoffRequired
		})
	}
	for _, t := range sd.Tokens {
		if t.Token == "" {
			return res, fmt.Errorf("seed token: token is required")
		}
		s.addToken(t.Token, t.ReadOnly, t.Repos)
	}
	for _, a := range sd.Apps {
		pemData := []byte(a.PublicKeyPEM)
		if a.PublicKeyFile != "" {
			b, err := os.ReadFile(a.PublicKeyFile)
			if err != nil {
				return res, fmt.Errorf("seed app %d: reading public key: %w", a.ID, err)
			}
			pemData = b
		}
		if err := s.AddAppE(a.ID, pemData); err != nil {
			return res, err
		}
	}
	for _, in := range sd.Installations {
		s.AddInstallation(in.AppID, in.ID, in.Repos...)
	}
	for _, f := range sd.Files {
		owner, name, ok := strings.Cut(f.Repo, "/")
		if !ok || f.Path == "" {
			return res, fmt.Errorf("seed file %q in %q: want repo owner/name and a path", f.Path, f.Repo)
		}
		if _, exists := s.Repo(owner, name); !exists {
			return res, fmt.Errorf("seed file %q: repository %q is not seeded", f.Path, f.Repo)
		}
		content := []byte(f.Content)
		if f.ContentBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(f.ContentBase64)
			if err != nil {
				return res, fmt.Errorf("seed file %q: content_base64: %w", f.Path, err)
			}
			content = b
		}
		s.SetFile(owner, name, f.Path, content)
	}
	return res, nil
}
