package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/secure-pipeline/operator/test/githubsim"
)

// Sim is the running GitHub simulator (bin/githubsim) and a client of its admin API.
type Sim struct {
	*Process
	// URL is the REST API base URL, ending with "/".
	URL string
	// AdminToken authenticates /_sim/ admin requests.
	AdminToken string
}

// StartSim runs bin/githubsim on a free loopback port with a seed file.
func (e *Env) StartSim(ctx context.Context, seedFile string) (*Sim, error) {
	p, lines, err := startProcess(ctx, "githubsim", filepath.Join(e.Dir, "githubsim.log"), nil, 2, e.Bin("githubsim"),
		"--listen=127.0.0.1:0", "--seed="+seedFile)
	if err != nil {
		return nil, err
	}
	e.track(p)
	s := &Sim{Process: p}
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "GITHUB_API_URL="); ok {
			s.URL = v
		}
		if v, ok := strings.CutPrefix(l, "GITHUB_SIM_ADMIN_TOKEN="); ok {
			s.AdminToken = v
		}
	}
	if s.URL == "" || s.AdminToken == "" {
		return nil, fmt.Errorf("githubsim printed %q, not GITHUB_API_URL= and GITHUB_SIM_ADMIN_TOKEN= lines", lines)
	}
	return s, nil
}

// Admin sends an admin API request (path relative to URL, e.g. "_sim/state") and decodes a JSON answer
// into out (if not nil).
func (s *Sim) Admin(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// State is everything the simulator holds, secret values decrypted.
func (s *Sim) State(ctx context.Context) (*githubsim.StateSnapshot, error) {
	var st githubsim.StateSnapshot
	if err := s.Admin(ctx, http.MethodGet, "_sim/state", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Repo is one repository's state, secret values decrypted.
func (s *Sim) Repo(ctx context.Context, owner, name string) (*githubsim.RepoSnapshot, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	for i := range st.Repos {
		if strings.EqualFold(st.Repos[i].FullName, owner+"/"+name) {
			return &st.Repos[i], nil
		}
	}
	return nil, fmt.Errorf("the simulator has no repository %s/%s", owner, name)
}

// Environment finds an environment of a repository snapshot.
func Environment(r *githubsim.RepoSnapshot, name string) (*githubsim.EnvironmentSnapshot, bool) {
	for i := range r.Environments {
		if strings.EqualFold(r.Environments[i].Name, name) {
			return &r.Environments[i], true
		}
	}
	return nil, false
}

// Secret finds a secret of an environment snapshot.
func Secret(env *githubsim.EnvironmentSnapshot, name string) (*githubsim.SecretSnapshot, bool) {
	if env == nil {
		return nil, false
	}
	for i := range env.Secrets {
		if strings.EqualFold(env.Secrets[i].Name, name) {
			return &env.Secrets[i], true
		}
	}
	return nil, false
}
