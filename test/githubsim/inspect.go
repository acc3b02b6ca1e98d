package githubsim

import (
	"encoding/json"
	"strings"
	"time"
)

// This file holds the Go API tests use to read what "GitHub" holds and to
// change it out of band, the way a human clicking in the UI would. Readers
// return deep copies so callers cannot race with the simulator. The mutate
// callbacks run under the state lock: they must not call the Server.

func (e EnvironmentState) clone() EnvironmentState {
	c := e
	c.Reviewers = append([]Reviewer(nil), e.Reviewers...)
	c.BranchPolicies = append([]BranchPolicy(nil), e.BranchPolicies...)
	if e.DeploymentBranchPolicy != nil {
		p := *e.DeploymentBranchPolicy
		c.DeploymentBranchPolicy = &p
	}
	return c
}

func (r RulesetState) clone() RulesetState {
	c := r
	c.BypassActors = append(json.RawMessage(nil), r.BypassActors...)
	if r.Conditions.RefName != nil {
		rn := RefNameCondition{
			Include: append([]string(nil), r.Conditions.RefName.Include...),
			Exclude: append([]string(nil), r.Conditions.RefName.Exclude...),
		}
		c.Conditions.RefName = &rn
	}
	c.Rules = make([]RulesetRule, len(r.Rules))
	for i, rule := range r.Rules {
		c.Rules[i] = RulesetRule{Type: rule.Type, Parameters: append(json.RawMessage(nil), rule.Parameters...)}
	}
	return c
}

// Environment returns a copy of an environment's state.
func (s *Server) Environment(owner, repo, env string) (EnvironmentState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return EnvironmentState{}, false
	}
	e := r.env(env)
	if e == nil {
		return EnvironmentState{}, false
	}
	return e.EnvironmentState.clone(), true
}

// EnvironmentNames returns a repository's environment names, sorted
// case-insensitively.
func (s *Server) EnvironmentNames(owner, repo string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return nil
	}
	var out []string
	for _, e := range r.sortedEnvs() {
		out = append(out, e.Name)
	}
	return out
}

func (s *Server) secret(owner, repo, env, name string) *secret {
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return nil
	}
	e := r.env(env)
	if e == nil {
		return nil
	}
	return e.secrets[strings.ToUpper(name)]
}

// SecretValue returns an environment secret's decrypted value and when it was
// last written. Secret names are case-insensitive, as on GitHub.
func (s *Server) SecretValue(owner, repo, env, name string) (value string, updatedAt time.Time, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sc := s.secret(owner, repo, env, name)
	if sc == nil {
		return "", time.Time{}, false
	}
	return string(sc.Value), sc.UpdatedAt, true
}

// SecretNames returns the sorted (upper-case) secret names of an environment.
func (s *Server) SecretNames(owner, repo, env string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return nil
	}
	e := r.env(env)
	if e == nil {
		return nil
	}
	var out []string
	for _, sc := range e.sortedSecrets() {
		out = append(out, sc.Name)
	}
	return out
}

// ActionsPermissions returns a repository's Actions settings (zero value for
// an unknown repository).
func (s *Server) ActionsPermissions(owner, repo string) ActionsState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		return r.actions
	}
	return ActionsState{}
}

// Rulesets returns copies of a repository's rulesets ordered by id.
func (s *Server) Rulesets(owner, repo string) []RulesetState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return nil
	}
	var out []RulesetState
	for _, rs := range r.sortedRulesets() {
		out = append(out, rs.clone())
	}
	return out
}

// Repo returns a copy of a repository's state.
func (s *Server) Repo(owner, repo string) (RepoState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		return r.RepoState, true
	}
	return RepoState{}, false
}

// UpdateEnvironment changes an environment out of band, as a human would in
// the UI; it creates the environment if it does not exist (no-op for an
// unknown repository). mutate may change any field except Name, ID and
// CreatedAt; UpdatedAt is bumped afterwards, and custom branch policies are
// dropped if mutate turns custom_branch_policies off, as GitHub does. Branch
// policies that mutate appends with ID 0 get fresh ids.
func (s *Server) UpdateEnvironment(owner, repo, env string, mutate func(*EnvironmentState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return
	}
	e := r.env(env)
	if e == nil {
		e = s.st.newEnvironment(r, env, s.now())
	}
	c := e.EnvironmentState.clone()
	mutate(&c)
	c.Name, c.ID, c.CreatedAt = e.Name, e.ID, e.CreatedAt
	for i := range c.BranchPolicies {
		if c.BranchPolicies[i].ID == 0 {
			c.BranchPolicies[i].ID = s.st.newID()
		}
		if c.BranchPolicies[i].Type == "" {
			c.BranchPolicies[i].Type = "branch"
		}
	}
	c.UpdatedAt = s.now()
	e.EnvironmentState = c
	s.st.syncRuleIDs(e)
}

// DeleteEnvironment deletes an environment out of band.
func (s *Server) DeleteEnvironment(owner, repo, env string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		delete(r.envs, strings.ToLower(env))
	}
}

// SetSecretValue overwrites (or creates) an environment secret out of band,
// as a human would; it bumps updated_at. It is a no-op for an unknown
// repository or environment.
func (s *Server) SetSecretValue(owner, repo, env, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repoByName(owner, repo)
	if r == nil {
		return
	}
	e := r.env(env)
	if e == nil {
		return
	}
	e.putSecret(name, []byte(value), s.now())
}

// DeleteSecret deletes an environment secret out of band.
func (s *Server) DeleteSecret(owner, repo, env, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		if e := r.env(env); e != nil {
			delete(e.secrets, strings.ToUpper(name))
		}
	}
}

// RotateSecretKey replaces an environment's public key, so that values sealed
// with the old key (and its key_id) are rejected with 422.
func (s *Server) RotateSecretKey(owner, repo, env string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		if e := r.env(env); e != nil {
			e.staleKeyIDs[e.key.ID] = true
			e.key = newEnvKey()
		}
	}
}

// UpdateActionsPermissions changes Actions settings out of band.
func (s *Server) UpdateActionsPermissions(owner, repo string, mutate func(*ActionsState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		mutate(&r.actions)
	}
}

// UpdateRepo changes repository settings out of band (e.g.
// WebCommitSignoffRequired). ID, Owner, Name and FullName are kept.
func (s *Server) UpdateRepo(owner, repo string, mutate func(*RepoState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		c := r.RepoState
		mutate(&c)
		c.ID, c.Owner, c.OwnerID, c.OwnerType, c.Name, c.FullName = r.ID, r.Owner, r.OwnerID, r.OwnerType, r.Name, r.FullName
		c.UpdatedAt = s.now()
		r.RepoState = c
	}
}

// DeleteRuleset deletes a ruleset out of band.
func (s *Server) DeleteRuleset(owner, repo string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		delete(r.rulesets, id)
	}
}

// UpdateRuleset changes a ruleset out of band; ID and CreatedAt are kept and
// UpdatedAt is bumped.
func (s *Server) UpdateRuleset(owner, repo string, id int64, mutate func(*RulesetState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repoByName(owner, repo); r != nil {
		if rs := r.rulesets[id]; rs != nil {
			c := rs.clone()
			mutate(&c)
			c.ID, c.CreatedAt, c.UpdatedAt = rs.ID, rs.CreatedAt, s.now()
			*rs = c
		}
	}
}

// putSecret stores a secret value, keeping created_at of an existing one.
// It reports whether the secret was created.
func (e *environment) putSecret(name string, value []byte, now time.Time) bool {
	k := strings.ToUpper(name)
	if sc, ok := e.secrets[k]; ok {
		sc.Value, sc.UpdatedAt = value, now
		return false
	}
	e.secrets[k] = &secret{Name: k, Value: value, CreatedAt: now, UpdatedAt: now}
	return true
}
