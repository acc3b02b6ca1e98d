package githubsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The admin API lives under /_sim/ and is guarded by the admin token
// (Authorization: Bearer <admin token>), separate from GitHub credentials.
// Its requests are not logged and not rate limited. Routes (README.md has
// curl examples):
//
//	GET    /_sim/state                                        everything, secrets decrypted
//	POST   /_sim/seed                                         Seed document (JSON or YAML)
//	POST   /_sim/users {login}  /_sim/orgs {login}            -> {id}
//	POST   /_sim/teams {org, slug}                            -> {id}
//	POST   /_sim/repos {owner, name, ...SeedRepo}             -> {id}
//	POST   /_sim/tokens {token, repos, read_only}
//	DELETE /_sim/tokens/{token}
//	POST   /_sim/apps {id, public_key_pem}
//	POST   /_sim/installations {app_id, id, repos}
//	PUT    /_sim/repos/{owner}/{repo}/files/{path...}         raw body = file content
//	DELETE /_sim/repos/{owner}/{repo}/files/{path...}
//	PATCH  /_sim/repos/{owner}/{repo}                         {web_commit_signoff_required, private, default_branch}
//	PATCH  /_sim/repos/{owner}/{repo}/actions                 any ActionsState field
//	PATCH  /_sim/repos/{owner}/{repo}/environments/{env}      environment PUT fields + branch_policies; creates
//	DELETE /_sim/repos/{owner}/{repo}/environments/{env}
//	PUT    /_sim/repos/{owner}/{repo}/environments/{env}/secrets/{name} {value}
//	DELETE /_sim/repos/{owner}/{repo}/environments/{env}/secrets/{name}
//	POST   /_sim/repos/{owner}/{repo}/environments/{env}/rotate-key
//	DELETE /_sim/repos/{owner}/{repo}/rulesets/{id}
//	GET    /_sim/requests  DELETE /_sim/requests              log with counts per route
//	GET    /_sim/faults    PUT /_sim/faults {route, latency, status, count, reset, secondary_rate_limit, retry_after}
//	DELETE /_sim/faults[?route=...]
//	DELETE /_sim/ratelimits                                   restore every budget

// adminError answers in GitHub's error shape so one client can parse both.
func adminError(w http.ResponseWriter, status int, msg string) {
	adminJSON(w, status, map[string]any{"message": msg, "documentation_url": "githubsim admin API (README.md)"})
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "githubsim: marshalling admin reply: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing JSON body: %w", err)
	}
	return nil
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.adminToken)) != 1 {
		adminError(w, http.StatusUnauthorized, "admin API needs Authorization: Bearer <admin token>")
		return
	}
	var segs []string
	for _, p := range strings.Split(strings.Trim(strings.TrimPrefix(r.URL.EscapedPath(), "/_sim"), "/"), "/") {
		v, err := url.PathUnescape(p)
		if err != nil {
			adminError(w, http.StatusBadRequest, "bad path segment "+strconv.Quote(p))
			return
		}
		segs = append(segs, v)
	}
	m := r.Method
	switch {
	case len(segs) == 1 && segs[0] == "state" && m == http.MethodGet:
		adminJSON(w, http.StatusOK, s.Snapshot())
	case len(segs) == 1 && segs[0] == "seed" && m == http.MethodPost:
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			adminError(w, http.StatusBadRequest, "reading seed: "+err.Error())
			return
		}
		sd, err := ParseSeed(b)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		for _, a := range sd.Apps {
			if a.PublicKeyFile != "" {
				adminError(w, http.StatusBadRequest, "public_key_file is not accepted over HTTP; send public_key_pem")
				return
			}
		}
		res, err := s.ApplySeed(sd)
		if err != nil {
			adminError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		adminJSON(w, http.StatusOK, res)
	case len(segs) == 1 && m == http.MethodPost:
		s.adminCreate(w, r, segs[0])
	case len(segs) == 2 && segs[0] == "tokens" && m == http.MethodDelete:
		s.RevokeToken(segs[1])
		w.WriteHeader(http.StatusNoContent)
	case len(segs) >= 3 && segs[0] == "repos":
		s.adminRepo(w, r, segs[1], segs[2], segs[3:])
	case len(segs) == 1 && segs[0] == "requests":
		s.adminRequests(w, r)
	case len(segs) == 1 && segs[0] == "faults":
		s.adminFaults(w, r)
	case len(segs) == 1 && segs[0] == "ratelimits" && m == http.MethodDelete:
		s.ResetRateLimits()
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusNotFound, "no admin route "+m+" "+r.URL.Path)
	}
}

// adminCreate serves POST /_sim/{users,orgs,teams,repos,tokens,apps,installations}
// by wrapping the body into a one-entry Seed.
func (s *Server) adminCreate(w http.ResponseWriter, r *http.Request, kind string) {
	var sd Seed
	var err error
	var login struct {
		Login string `json:"login"`
	}
	switch kind {
	case "users", "orgs":
		if err = readJSON(r, &login); err == nil && login.Login == "" {
			err = fmt.Errorf("login is required")
		}
		if kind == "users" {
			sd.Users = []string{login.Login}
		} else {
			sd.Orgs = []string{login.Login}
		}
	case "teams":
		sd.Teams = make([]SeedTeam, 1)
		err = readJSON(r, &sd.Teams[0])
	case "repos":
		sd.Repos = make([]SeedRepo, 1)
		err = readJSON(r, &sd.Repos[0])
	case "tokens":
		sd.Tokens = make([]SeedToken, 1)
		err = readJSON(r, &sd.Tokens[0])
	case "apps":
		sd.Apps = make([]SeedApp, 1)
		if err = readJSON(r, &sd.Apps[0]); err == nil && sd.Apps[0].PublicKeyFile != "" {
			err = fmt.Errorf("public_key_file is not accepted over HTTP; send public_key_pem")
		}
	case "installations":
		sd.Installations = make([]SeedInstallation, 1)
		err = readJSON(r, &sd.Installations[0])
	default:
		adminError(w, http.StatusNotFound, "no admin route POST "+r.URL.Path)
		return
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, kind+": "+err.Error())
		return
	}
	res, err := s.ApplySeed(&sd)
	if err != nil {
		adminError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	out := map[string]any{}
	for _, ids := range []map[string]int64{res.Users, res.Orgs, res.Teams, res.Repos} {
		for _, id := range ids {
			out["id"] = id
		}
	}
	adminJSON(w, http.StatusCreated, out)
}

// adminRepo serves /_sim/repos/{owner}/{repo}/...
func (s *Server) adminRepo(w http.ResponseWriter, r *http.Request, owner, name string, rest []string) {
	if _, ok := s.Repo(owner, name); !ok {
		adminError(w, http.StatusNotFound, "no repository "+owner+"/"+name)
		return
	}
	m := r.Method
	switch {
	case len(rest) == 0 && m == http.MethodPatch:
		var p repoPatch
		if err := readJSON(r, &p); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.UpdateRepo(owner, name, func(st *RepoState) {
			if p.Private != nil {
				st.Private = *p.Private
			}
			if p.DefaultBranch != nil {
				st.DefaultBranch = *p.DefaultBranch
			}
			if p.WebCommitSignoffRequired != nil {
				st.WebCommitSignoffRequired = *p.WebCommitSignoffRequired
			}
		})
		st, _ := s.Repo(owner, name)
		adminJSON(w, http.StatusOK, st)
	case len(rest) >= 2 && rest[0] == "files" && (m == http.MethodPut || m == http.MethodDelete):
		p := strings.Join(rest[1:], "/")
		if m == http.MethodDelete {
			s.DeleteFile(owner, name, p)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			adminError(w, http.StatusBadRequest, "reading file content: "+err.Error())
			return
		}
		s.SetFile(owner, name, p, b)
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 1 && rest[0] == "actions" && m == http.MethodPatch:
		var p struct {
			Enabled                      *bool   `json:"enabled"`
			AllowedActions               *string `json:"allowed_actions"`
			SHAPinningRequired           *bool   `json:"sha_pinning_required"`
			DefaultWorkflowPermissions   *string `json:"default_workflow_permissions"`
			CanApprovePullRequestReviews *bool   `json:"can_approve_pull_request_reviews"`
		}
		if err := readJSON(r, &p); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.UpdateActionsPermissions(owner, name, func(a *ActionsState) {
			setIf(&a.Enabled, p.Enabled)
			setIf(&a.AllowedActions, p.AllowedActions)
			setIf(&a.SHAPinningRequired, p.SHAPinningRequired)
			setIf(&a.DefaultWorkflowPermissions, p.DefaultWorkflowPermissions)
			setIf(&a.CanApprovePullRequestReviews, p.CanApprovePullRequestReviews)
		})
		adminJSON(w, http.StatusOK, s.ActionsPermissions(owner, name))
	case len(rest) >= 2 && rest[0] == "environments":
		s.adminEnv(w, r, owner, name, rest[1], rest[2:])
	case len(rest) == 2 && rest[0] == "rulesets" && m == http.MethodDelete:
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			adminError(w, http.StatusBadRequest, "ruleset id "+strconv.Quote(rest[1])+" is not a number")
			return
		}
		s.DeleteRuleset(owner, name, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusNotFound, "no admin route "+m+" "+r.URL.Path)
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// adminEnv serves /_sim/repos/{owner}/{repo}/environments/{env}/...: the
// changes a human makes in the UI, validated like the API would.
func (s *Server) adminEnv(w http.ResponseWriter, r *http.Request, owner, name, env string, rest []string) {
	m := r.Method
	switch {
	case len(rest) == 0 && m == http.MethodPatch:
		var raw map[string]json.RawMessage
		if err := readJSON(r, &raw); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		var policies []BranchPolicy
		if b, ok := raw["branch_policies"]; ok {
			if err := json.Unmarshal(b, &policies); err != nil {
				adminError(w, http.StatusBadRequest, "branch_policies: "+err.Error())
				return
			}
			delete(raw, "branch_policies")
		}
		msg := s.patchEnvironment(owner, name, env, raw, policies)
		if msg != "" {
			adminError(w, http.StatusUnprocessableEntity, msg)
			return
		}
		st, _ := s.Environment(owner, name, env)
		adminJSON(w, http.StatusOK, st)
	case len(rest) == 0 && m == http.MethodDelete:
		s.DeleteEnvironment(owner, name, env)
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 1 && rest[0] == "rotate-key" && m == http.MethodPost:
		s.RotateSecretKey(owner, name, env)
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 2 && rest[0] == "secrets" && (m == http.MethodPut || m == http.MethodDelete):
		if _, ok := s.Environment(owner, name, env); !ok {
			adminError(w, http.StatusNotFound, "no environment "+env)
			return
		}
		if m == http.MethodDelete {
			s.DeleteSecret(owner, name, env, rest[1])
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var p struct {
			Value *string `json:"value"`
		}
		if err := readJSON(r, &p); err != nil || p.Value == nil {
			adminError(w, http.StatusBadRequest, "want {\"value\": \"...\"}")
			return
		}
		if msg := validSecretName(rest[1]); msg != "" {
			adminError(w, http.StatusUnprocessableEntity, msg)
			return
		}
		s.SetSecretValue(owner, name, env, rest[1], *p.Value)
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusNotFound, "no admin route "+m+" "+r.URL.Path)
	}
}

func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		reqs := s.Requests()
		adminJSON(w, http.StatusOK, map[string]any{"total": len(reqs), "counts": s.RequestCounts(), "requests": reqs})
	case http.MethodDelete:
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusMethodNotAllowed, "requests: use GET or DELETE")
	}
}

// adminFault is Fault on the wire, with latency as a Go duration string
// ("250ms") because nanosecond integers are unfriendly in curl.
type adminFault struct {
	Route              string `json:"route"`
	Latency            string `json:"latency,omitempty"`
	Status             int    `json:"status,omitempty"`
	Count              int    `json:"count,omitempty"`
	Reset              bool   `json:"reset,omitempty"`
	SecondaryRateLimit bool   `json:"secondary_rate_limit,omitempty"`
	RetryAfter         int    `json:"retry_after,omitempty"`
	Remaining          int    `json:"remaining,omitempty"`
}

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		out := []adminFault{}
		for _, f := range s.Faults() {
			af := adminFault{Route: f.Route, Status: f.Status, Count: f.Count, Reset: f.Reset,
				SecondaryRateLimit: f.SecondaryRateLimit, RetryAfter: f.RetryAfter, Remaining: f.Remaining}
			if f.Latency > 0 {
				af.Latency = f.Latency.String()
			}
			out = append(out, af)
		}
		adminJSON(w, http.StatusOK, out)
	case http.MethodPut, http.MethodPost:
		var af adminFault
		if err := readJSON(r, &af); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if af.Route == "" {
			adminError(w, http.StatusBadRequest, `route is required ("*" or e.g. "GET /repos/{owner}/{repo}")`)
			return
		}
		f := Fault{Status: af.Status, Count: af.Count, Reset: af.Reset, SecondaryRateLimit: af.SecondaryRateLimit, RetryAfter: af.RetryAfter}
		if af.Latency != "" {
			d, err := time.ParseDuration(af.Latency)
			if err != nil {
				adminError(w, http.StatusBadRequest, "latency: "+err.Error())
				return
			}
			f.Latency = d
		}
		if af.Route != "*" && !s.knownRoute(af.Route) {
			adminError(w, http.StatusUnprocessableEntity, "unknown route "+strconv.Quote(af.Route)+"; see ServedOperations or GET /_sim/requests")
			return
		}
		s.SetFault(af.Route, f)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if rt := r.URL.Query().Get("route"); rt != "" {
			s.SetFault(rt, Fault{})
		} else {
			s.ClearFaults()
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusMethodNotAllowed, "faults: use GET, PUT or DELETE")
	}
}

func (s *Server) knownRoute(key string) bool {
	for _, rt := range s.router.routes {
		if rt.key == key {
			return true
		}
	}
	return false
}

// patchEnvironment applies environment PUT fields (same validation and null
// semantics as the API) plus branch policies, creating the environment if
// needed. It returns what is wrong, or "".
func (s *Server) patchEnvironment(owner, name, env string, raw map[string]json.RawMessage, policies []BranchPolicy) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.st.repoByName(owner, name)
	if rp == nil {
		return "no repository " + owner + "/" + name
	}
	if msg := validEnvName(env); msg != "" {
		return msg
	}
	var next EnvironmentState
	e := rp.env(env)
	if e != nil {
		next = e.EnvironmentState.clone()
	} else {
		next = EnvironmentState{Name: env, CanAdminsBypass: true}
	}
	if rep := s.applyEnvFields(rp, &next, raw); rep != nil {
		msg, _ := rep.body.(map[string]any)["message"].(string)
		if errs, ok := rep.body.(map[string]any)["errors"].([]any); ok && len(errs) > 0 {
			msg = fmt.Sprintf("%s: %+v", msg, errs[0])
		}
		return msg
	}
	if policies != nil {
		if next.DeploymentBranchPolicy == nil || !next.DeploymentBranchPolicy.CustomBranchPolicies {
			return "branch_policies need deployment_branch_policy.custom_branch_policies true"
		}
		next.BranchPolicies = policies
	}
	for i := range next.BranchPolicies {
		if next.BranchPolicies[i].ID == 0 {
			next.BranchPolicies[i].ID = s.st.newID()
		}
		if next.BranchPolicies[i].Type == "" {
			next.BranchPolicies[i].Type = "branch"
		}
	}
	now := s.now()
	if e == nil {
		e = s.st.newEnvironment(rp, env, now)
		next.ID, next.CreatedAt = e.ID, e.CreatedAt
	}
	next.UpdatedAt = now
	e.EnvironmentState = next
	s.st.syncRuleIDs(e)
	return ""
}
