package githubsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// This file serves deployment environments and their deployment branch
// policies.

const maxReviewers = 6
const maxWaitTimer = 43200

func (s *Server) envJSON(c *call, r *repo, e *environment) map[string]any {
	rules := []any{}
	if e.WaitTimer > 0 {
		rules = append(rules, map[string]any{
			"id": e.waitRuleID, "node_id": nodeID("Gate", e.waitRuleID), "type": "wait_timer", "wait_timer": e.WaitTimer,
		})
	}
	if len(e.Reviewers) > 0 {
		revs := []any{}
		for _, rv := range e.Reviewers {
			if body := s.reviewerJSON(rv); body != nil {
				revs = append(revs, map[string]any{"type": rv.Type, "reviewer": body})
			}
		}
		rules = append(rules, map[string]any{
			"id": e.reviewersRuleID, "node_id": nodeID("Gate", e.reviewersRuleID), "type": "required_reviewers",
			"prevent_self_review": e.PreventSelfReview, "reviewers": revs,
		})
	}
	var dbp any
	if p := e.DeploymentBranchPolicy; p != nil {
		rules = append(rules, map[string]any{"id": e.branchRuleID, "node_id": nodeID("Gate", e.branchRuleID), "type": "branch_policy"})
		dbp = map[string]bool{"protected_branches": p.ProtectedBranches, "custom_branch_policies": p.CustomBranchPolicies}
	}
	out := map[string]any{
		"id": e.ID, "node_id": nodeID("Environment", e.ID), "name": e.Name,
		"url":        c.base + "repos/" + r.FullName + "/environments/" + url.PathEscape(e.Name),
		"html_url":   "https://github.com/" + r.FullName + "/deployments/activity_log?environments_filter=" + url.QueryEscape(e.Name),
		"created_at": ts(e.CreatedAt), "updated_at": ts(e.UpdatedAt),
		"can_admins_bypass": e.CanAdminsBypass,
		"protection_rules":  rules, "deployment_branch_policy": dbp,
	}
	if s.noAdminBypass {
		delete(out, "can_admins_bypass")
	}
	return out
}

// reviewerJSON renders a reviewer as GitHub does (a simple-user or a team);
// nil if the account or team no longer exists.
func (s *Server) reviewerJSON(rv Reviewer) map[string]any {
	if rv.Type == "Team" {
		for _, t := range s.st.teams {
			if t.ID == rv.ID {
				return teamJSON(t)
			}
		}
		return nil
	}
	for _, a := range s.st.accounts {
		if a.ID == rv.ID && a.Type == "User" {
			return simpleUserJSON(a)
		}
	}
	return nil
}

// env resolves the repository and the environment named by the path.
func (c *call) env(doc string) (*repo, *environment, *reply) {
	r, rep := c.repo(doc)
	if rep != nil {
		return nil, nil, rep
	}
	e := r.env(c.param("environment_name"))
	if e == nil {
		return r, nil, notFound(doc)
	}
	return r, e, nil
}

func (s *Server) listEnvironments(c *call) *reply {
	r, rep := c.repo(docsEnvs)
	if rep != nil {
		return rep
	}
	all := r.sortedEnvs()
	lo, hi, link := paginate(c, len(all))
	out := []any{}
	for _, e := range all[lo:hi] {
		out = append(out, s.envJSON(c, r, e))
	}
	return withLink(&reply{status: http.StatusOK, body: map[string]any{"total_count": len(all), "environments": out}}, link)
}

func (s *Server) getEnvironment(c *call) *reply {
	r, e, rep := c.env(docsEnvs)
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: s.envJSON(c, r, e)}
}

func (s *Server) deleteEnvironment(c *call) *reply {
	r, e, rep := c.env(docsEnvs)
	if rep != nil {
		return rep
	}
	delete(r.envs, strings.ToLower(e.Name))
	return &reply{status: http.StatusNoContent}
}

// putEnvironment creates or updates an environment. Fields absent from the
// body keep their value; an explicit null resets a field (reviewers: none,
// wait_timer: 0, deployment_branch_policy: all branches, can_admins_bypass:
// true), which is what go-github's CreateUpdateEnvironment relies on when
// it sends nulls for unset fields.
func (s *Server) putEnvironment(c *call) *reply {
	r, rep := c.repo(docsEnvs)
	if rep != nil {
		return rep
	}
	name := c.param("environment_name")
	if msg := validEnvName(name); msg != "" {
		return unprocessable(msg, docsEnvs)
	}
	var raw map[string]json.RawMessage
	if rep := c.decode(&raw); rep != nil {
		return rep
	}
	if s.noAdminBypass {
		if rep := unpermittedKeys(raw, "can_admins_bypass"); rep != nil {
			return rep
		}
	}
	e := r.env(name)
	var next EnvironmentState
	if e != nil {
		next = e.EnvironmentState.clone()
	} else {
		next = EnvironmentState{Name: name, CanAdminsBypass: true}
	}
	if rep := s.applyEnvFields(r, &next, raw); rep != nil {
		return rep
	}
	if e == nil {
		e = s.st.newEnvironment(r, name, c.now)
		next.ID, next.CreatedAt, next.UpdatedAt = e.ID, e.CreatedAt, e.UpdatedAt
	}
	if !reflect.DeepEqual(e.EnvironmentState, next) {
		next.UpdatedAt = c.now
		e.EnvironmentState = next
		s.st.syncRuleIDs(e)
	}
	return &reply{status: http.StatusOK, body: s.envJSON(c, r, e)}
}

func validEnvName(name string) string {
	if strings.TrimSpace(name) == "" || len(name) > 255 {
		return "Environment name must be between 1 and 255 characters"
	}
	for _, ch := range name {
		if unicode.IsControl(ch) || ch == '/' || ch == ':' || ch == ',' || ch == '\'' || ch == '"' {
			return "Environment name contains invalid characters"
		}
	}
	return ""
}

func isNull(m json.RawMessage) bool { return strings.TrimSpace(string(m)) == "null" }

// applyEnvFields validates the PUT body and applies it to next.
func (s *Server) applyEnvFields(r *repo, next *EnvironmentState, raw map[string]json.RawMessage) *reply {
	if v, ok := raw["wait_timer"]; ok {
		next.WaitTimer = 0
		if !isNull(v) {
			var n int
			if json.Unmarshal(v, &n) != nil || n < 0 || n > maxWaitTimer {
				return invalidField(docsEnvs, "Environment", "wait_timer", "wait_timer must be an integer between 0 and 43200")
			}
			next.WaitTimer = n
		}
	}
	for _, f := range []struct {
		name string
		dst  *bool
		def  bool
	}{{"prevent_self_review", &next.PreventSelfReview, false}, {"can_admins_bypass", &next.CanAdminsBypass, true}} {
		if v, ok := raw[f.name]; ok {
			*f.dst = f.def
			if !isNull(v) && json.Unmarshal(v, f.dst) != nil {
				return invalidField(docsEnvs, "Environment", f.name, f.name+" must be a boolean")
			}
		}
	}
	if v, ok := raw["reviewers"]; ok {
		next.Reviewers = nil
		if !isNull(v) {
			var in []struct {
				Type string `json:"type"`
				ID   int64  `json:"id"`
			}
			if json.Unmarshal(v, &in) != nil {
				return invalidField(docsEnvs, "Environment", "reviewers", "reviewers must be an array of {type, id}")
			}
			if len(in) > maxReviewers {
				return unprocessable("Only 6 reviewers are allowed for a protection rule", docsEnvs)
			}
			seen := map[string]bool{}
			for _, rv := range in {
				res, msg := s.resolveReviewer(r, rv.Type, rv.ID)
				if msg != "" {
					return unprocessable(msg, docsEnvs)
				}
				k := res.Type + strconv.FormatInt(res.ID, 10)
				if !seen[k] { // GitHub keeps one entry per reviewer
					seen[k] = true
					next.Reviewers = append(next.Reviewers, res)
				}
			}
		}
	}
	if v, ok := raw["deployment_branch_policy"]; ok {
		if isNull(v) {
			next.DeploymentBranchPolicy = nil
		} else {
			var p struct {
				Protected *bool `json:"protected_branches"`
				Custom    *bool `json:"custom_branch_policies"`
			}
			if json.Unmarshal(v, &p) != nil || p.Protected == nil || p.Custom == nil {
				return invalidField(docsEnvs, "Environment", "deployment_branch_policy",
					"deployment_branch_policy needs protected_branches and custom_branch_policies")
			}
			if *p.Protected == *p.Custom {
				return unprocessable("Invalid deployment_branch_policy: protected_branches and custom_branch_policies cannot have the same value", docsEnvs)
			}
			next.DeploymentBranchPolicy = &DeploymentBranchPolicy{ProtectedBranches: *p.Protected, CustomBranchPolicies: *p.Custom}
		}
		if next.DeploymentBranchPolicy == nil || !next.DeploymentBranchPolicy.CustomBranchPolicies {
			next.BranchPolicies = nil
		}
	}
	return nil
}

// resolveReviewer checks that a reviewer id exists: users anywhere, teams in
// the repository's organization.
func (s *Server) resolveReviewer(r *repo, typ string, id int64) (Reviewer, string) {
	switch typ {
	case "User":
		for _, a := range s.st.accounts {
			if a.ID == id && a.Type == "User" {
				return Reviewer{Type: "User", ID: id, Login: a.Login}, ""
			}
		}
		return Reviewer{}, "Reviewer " + strconv.FormatInt(id, 10) + " is not a valid user"
	case "Team":
		for _, t := range s.st.teams {
			if t.ID == id {
				if t.Org != r.owner {
					return Reviewer{}, "Team " + strconv.FormatInt(id, 10) + " does not belong to the repository's organization"
				}
				return Reviewer{Type: "Team", ID: id, Slug: t.Slug}, ""
			}
		}
		return Reviewer{}, "Reviewer " + strconv.FormatInt(id, 10) + " is not a valid team"
	}
	return Reviewer{}, "Reviewer type must be User or Team, not " + strconv.Quote(typ)
}

func branchPolicyJSON(p BranchPolicy) map[string]any {
	return map[string]any{"id": p.ID, "node_id": nodeID("GateBranchPolicy", p.ID), "name": p.Name, "type": p.Type}
}

func (s *Server) listBranchPolicies(c *call) *reply {
	_, e, rep := c.env(docsBranchPolicies)
	if rep != nil {
		return rep
	}
	lo, hi, link := paginate(c, len(e.BranchPolicies))
	out := []any{}
	for _, p := range e.BranchPolicies[lo:hi] {
		out = append(out, branchPolicyJSON(p))
	}
	return withLink(&reply{status: http.StatusOK, body: map[string]any{"total_count": len(e.BranchPolicies), "branch_policies": out}}, link)
}

// createBranchPolicy answers 404 unless the environment uses custom branch
// policies, and 303 to the existing policy for a duplicate, as documented.
func (s *Server) createBranchPolicy(c *call) *reply {
	r, e, rep := c.env(docsBranchPolicies)
	if rep != nil {
		return rep
	}
	if e.DeploymentBranchPolicy == nil || !e.DeploymentBranchPolicy.CustomBranchPolicies {
		return notFound(docsBranchPolicies)
	}
	var in struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	if in.Type == "" {
		in.Type = "branch"
	}
	if strings.TrimSpace(in.Name) == "" {
		return validationFailed(docsBranchPolicies, fieldError{Resource: "DeploymentBranchPolicy", Field: "name", Code: "missing_field"})
	}
	if in.Type != "branch" && in.Type != "tag" {
		return invalidField(docsBranchPolicies, "DeploymentBranchPolicy", "type", "type must be branch or tag")
	}
	for _, p := range e.BranchPolicies {
		if p.Name == in.Name && p.Type == in.Type {
			return &reply{status: http.StatusSeeOther, header: map[string]string{
				"Location": c.base + "repos/" + r.FullName + "/environments/" + url.PathEscape(e.Name) +
					"/deployment-branch-policies/" + strconv.FormatInt(p.ID, 10),
			}}
		}
	}
	p := BranchPolicy{ID: s.st.newID(), Name: in.Name, Type: in.Type}
	e.BranchPolicies = append(e.BranchPolicies, p)
	e.UpdatedAt = c.now
	return &reply{status: http.StatusOK, body: branchPolicyJSON(p)}
}

// branchPolicy resolves {branch_policy_id} to an index in e.BranchPolicies.
func (c *call) branchPolicy() (*environment, int, *reply) {
	_, e, rep := c.env(docsBranchPolicies)
	if rep != nil {
		return nil, 0, rep
	}
	id, err := strconv.ParseInt(c.param("branch_policy_id"), 10, 64)
	if err == nil {
		for i, p := range e.BranchPolicies {
			if p.ID == id {
				return e, i, nil
			}
		}
	}
	return nil, 0, notFound(docsBranchPolicies)
}

func (s *Server) getBranchPolicy(c *call) *reply {
	e, i, rep := c.branchPolicy()
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: branchPolicyJSON(e.BranchPolicies[i])}
}

func (s *Server) updateBranchPolicy(c *call) *reply {
	e, i, rep := c.branchPolicy()
	if rep != nil {
		return rep
	}
	var in struct {
		Name string `json:"name"`
	}
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	if strings.TrimSpace(in.Name) == "" {
		return validationFailed(docsBranchPolicies, fieldError{Resource: "DeploymentBranchPolicy", Field: "name", Code: "missing_field"})
	}
	if e.BranchPolicies[i].Name != in.Name {
		e.BranchPolicies[i].Name = in.Name
		e.UpdatedAt = c.now
	}
	return &reply{status: http.StatusOK, body: branchPolicyJSON(e.BranchPolicies[i])}
}

func (s *Server) deleteBranchPolicy(c *call) *reply {
	e, i, rep := c.branchPolicy()
	if rep != nil {
		return rep
	}
	e.BranchPolicies = append(e.BranchPolicies[:i:i], e.BranchPolicies[i+1:]...)
	e.UpdatedAt = c.now
	return &reply{status: http.StatusNoContent}
}
