package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// This file serves repository rulesets (/repos/{owner}/{repo}/rulesets).
// Rules are validated by type: the type must be one GitHub knows, each type
// may appear once, its required parameters must be present, and
// required_status_checks is checked field by field. Validation errors use
// the object form of errors[] that the description declares for these
// operations (validation-error).

// ruleParams lists each rule type's required parameters (from GitHub's
// OpenAPI description); nil means the rule takes no parameters.
var ruleParams = map[string][]string{
	"creation": nil, "deletion": nil, "required_linear_history": nil, "required_signatures": nil,
	"non_fast_forward": nil, "copilot_code_review": nil, "license_compliance_scanning": nil,
	"update":                      {"update_allows_fetch_and_merge"},
	"merge_queue":                 {"check_response_timeout_minutes", "grouping_strategy", "max_entries_to_build", "max_entries_to_merge", "merge_method", "min_entries_to_merge", "min_entries_to_merge_wait_minutes"},
	"required_deployments":        {"required_deployment_environments"},
	"pull_request":                {"dismiss_stale_reviews_on_push", "require_code_owner_review", "require_last_push_approval", "required_approving_review_count", "required_review_thread_resolution"},
	"required_status_checks":      {"required_status_checks", "strict_required_status_checks_policy"},
	"commit_message_pattern":      {"operator", "pattern"},
	"commit_author_email_pattern": {"operator", "pattern"},
	"committer_email_pattern":     {"operator", "pattern"},
	"branch_name_pattern":         {"operator", "pattern"},
	"tag_name_pattern":            {"operator", "pattern"},
	"workflows":                   {"workflows"},
	"code_scanning":               {"code_scanning_tools"},
	"file_path_restriction":       {"restricted_file_paths"},
	"max_file_path_length":        {"max_file_path_length"},
	"file_extension_restriction":  {"restricted_file_extensions"},
	"max_file_size":               {"max_file_size"},
}

// rulesetBody is the POST/PUT body; pointers tell absent from present.
type rulesetBody struct {
	Name         *string            `json:"name"`
	Target       *string            `json:"target"`
	Enforcement  *string            `json:"enforcement"`
	BypassActors json.RawMessage    `json:"bypass_actors"`
	Conditions   *RulesetConditions `json:"conditions"`
	Rules        *[]RulesetRule     `json:"rules"`
}

func rulesetJSON(c *call, r *repo, rs *RulesetState, full bool) map[string]any {
	self := c.base + "repos/" + r.FullName + "/rulesets/" + strconv.FormatInt(rs.ID, 10)
	m := map[string]any{
		"id": rs.ID, "name": rs.Name, "target": rs.Target, "source_type": "Repository", "source": r.FullName,
		"enforcement": rs.Enforcement, "node_id": nodeID("RepositoryRuleset", rs.ID),
		"_links": map[string]any{
			"self": map[string]string{"href": self},
			"html": map[string]string{"href": "https://github.com/" + r.FullName + "/rules/" + strconv.FormatInt(rs.ID, 10)},
		},
		"created_at": ts(rs.CreatedAt), "updated_at": ts(rs.UpdatedAt),
	}
	if !full {
		// GitHub's list answers summaries without conditions, rules and actors.
		return m
	}
	actors := json.RawMessage("[]")
	if len(rs.BypassActors) > 0 {
		actors = rs.BypassActors
	}
	cond := map[string]any{}
	if rn := rs.Conditions.RefName; rn != nil {
		cond["ref_name"] = map[string][]string{"include": nonNil(rn.Include), "exclude": nonNil(rn.Exclude)}
	}
	rules := []any{}
	for _, rule := range rs.Rules {
		m := map[string]any{"type": rule.Type}
		if len(rule.Parameters) > 0 {
			m["parameters"] = rule.Parameters
		}
		rules = append(rules, m)
	}
	m["bypass_actors"], m["conditions"], m["rules"] = actors, cond, rules
	m["current_user_can_bypass"] = "never"
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) listRulesets(c *call) *reply {
	r, rep := c.repo(docsRulesets)
	if rep != nil {
		return rep
	}
	var targets map[string]bool
	if t := c.r.URL.Query().Get("targets"); t != "" {
		targets = map[string]bool{}
		for _, x := range strings.Split(t, ",") {
			targets[strings.TrimSpace(x)] = true
		}
	}
	var all []*RulesetState
	for _, rs := range r.sortedRulesets() {
		if targets == nil || targets[rs.Target] {
			all = append(all, rs)
		}
	}
	lo, hi, link := paginate(c, len(all))
	out := []any{}
	for _, rs := range all[lo:hi] {
		out = append(out, rulesetJSON(c, r, rs, false))
	}
	return withLink(&reply{status: http.StatusOK, body: out}, link)
}

func (c *call) ruleset() (*repo, *RulesetState, *reply) {
	r, rep := c.repo(docsRulesets)
	if rep != nil {
		return nil, nil, rep
	}
	id, err := strconv.ParseInt(c.param("ruleset_id"), 10, 64)
	rs := r.rulesets[id]
	if err != nil || rs == nil {
		return nil, nil, notFound(docsRulesets)
	}
	return r, rs, nil
}

func (s *Server) getRuleset(c *call) *reply {
	r, rs, rep := c.ruleset()
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: rulesetJSON(c, r, rs, true)}
}

func (s *Server) createRuleset(c *call) *reply {
	r, rep := c.repo(docsRulesets)
	if rep != nil {
		return rep
	}
	var in rulesetBody
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return rulesetInvalid("name", "missing_field", "Name can't be blank")
	}
	if in.Enforcement == nil {
		return rulesetInvalid("enforcement", "missing_field", "Enforcement can't be blank")
	}
	rs := &RulesetState{Target: "branch", Rules: []RulesetRule{}}
	if rep := applyRuleset(r, rs, &in); rep != nil {
		return rep
	}
	rs.ID, rs.CreatedAt, rs.UpdatedAt = s.st.newID(), c.now, c.now
	r.rulesets[rs.ID] = rs
	return &reply{status: http.StatusCreated, body: rulesetJSON(c, r, rs, true)}
}

func (s *Server) updateRuleset(c *call) *reply {
	r, rs, rep := c.ruleset()
	if rep != nil {
		return rep
	}
	var in rulesetBody
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	next := rs.clone()
	if rep := applyRuleset(r, &next, &in); rep != nil {
		return rep
	}
	next.UpdatedAt = c.now
	*rs = next
	return &reply{status: http.StatusOK, body: rulesetJSON(c, r, rs, true)}
}

func (s *Server) deleteRulesetHandler(c *call) *reply {
	r, rs, rep := c.ruleset()
	if rep != nil {
		return rep
	}
	delete(r.rulesets, rs.ID)
	return &reply{status: http.StatusNoContent}
}

// applyRuleset validates the present fields of in and applies them to rs.
func applyRuleset(r *repo, rs *RulesetState, in *rulesetBody) *reply {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			return rulesetInvalid("name", "missing_field", "Name can't be blank")
		}
		for _, other := range r.rulesets {
			if other.ID != rs.ID && strings.EqualFold(other.Name, name) {
				return rulesetInvalid("name", "already_exists", "Name must be unique")
			}
		}
		rs.Name = name
	}
	if in.Target != nil {
		switch *in.Target {
		case "branch", "tag", "push":
			rs.Target = *in.Target
		default:
			return rulesetInvalid("target", "invalid", fmt.Sprintf("Target %q is not a valid target", *in.Target))
		}
	}
	if in.Enforcement != nil {
		switch *in.Enforcement {
		case "disabled", "active", "evaluate":
			rs.Enforcement = *in.Enforcement
		default:
			return rulesetInvalid("enforcement", "invalid", fmt.Sprintf("Enforcement %q is not a valid enforcement", *in.Enforcement))
		}
	}
	if len(in.BypassActors) > 0 && string(in.BypassActors) != "null" {
		var actors []map[string]any
		if json.Unmarshal(in.BypassActors, &actors) != nil {
			return rulesetInvalid("bypass_actors", "invalid", "bypass_actors must be an array")
		}
		for _, a := range actors {
			if _, ok := a["actor_type"].(string); !ok {
				return rulesetInvalid("bypass_actors", "missing_field", "Bypass actor is missing actor_type")
			}
		}
		rs.BypassActors = append(json.RawMessage(nil), in.BypassActors...)
	}
	if in.Conditions != nil {
		if rn := in.Conditions.RefName; rn != nil {
			if bad := invalidRefPatterns(rs.Target, append(append([]string(nil), rn.Include...), rn.Exclude...)); len(bad) > 0 {
				return rulesetInvalid("conditions", "invalid", "Invalid target patterns: '"+strings.Join(bad, "', '")+"'")
			}
		}
		rs.Conditions = *in.Conditions
	}
	if in.Rules != nil {
		seen := map[string]bool{}
		for _, rule := range *in.Rules {
			if msg := validateRule(rule); msg != "" {
				return rulesetInvalid("rules", "invalid", msg)
			}
			if seen[rule.Type] {
				return rulesetInvalid("rules", "invalid", "Invalid rules: '"+rule.Type+"' appears more than once")
			}
			seen[rule.Type] = true
		}
		rs.Rules = append([]RulesetRule{}, *in.Rules...)
	}
	return nil
}

// invalidRefPatterns returns ref_name patterns GitHub would reject: they must
// be ~DEFAULT_BRANCH, ~ALL or a full ref (refs/heads/..., refs/tags/...).
func invalidRefPatterns(target string, pats []string) []string {
	var bad []string
	for _, p := range pats {
		switch {
		case p == "~ALL", p == "~DEFAULT_BRANCH" && target != "tag":
		case target == "tag" && strings.HasPrefix(p, "refs/tags/"):
		case target != "tag" && strings.HasPrefix(p, "refs/heads/"):
		default:
			bad = append(bad, p)
		}
	}
	sort.Strings(bad)
	return bad
}

func validateRule(rule RulesetRule) string {
	req, known := ruleParams[rule.Type]
	if !known {
		return fmt.Sprintf("Invalid rule %q: unknown rule type", rule.Type)
	}
	if len(req) == 0 {
		return ""
	}
	var params map[string]json.RawMessage
	if len(rule.Parameters) == 0 || json.Unmarshal(rule.Parameters, &params) != nil || params == nil {
		return fmt.Sprintf("Invalid rule '%s': parameters are required", rule.Type)
	}
	for _, k := range req {
		if _, ok := params[k]; !ok {
			return fmt.Sprintf("Invalid rule '%s': %s is required", rule.Type, k)
		}
	}
	if rule.Type == "required_status_checks" {
		var p RequiredStatusChecksParams
		if err := json.Unmarshal(rule.Parameters, &p); err != nil {
			return "Invalid rule 'required_status_checks': " + err.Error()
		}
		for _, sc := range p.RequiredStatusChecks {
			if strings.TrimSpace(sc.Context) == "" {
				return "Invalid rule 'required_status_checks': every status check needs a context"
			}
		}
	}
	return ""
}

func rulesetInvalid(field, code, msg string) *reply {
	return validationFailed(docsRulesets, fieldError{Resource: "Ruleset", Field: field, Code: code, Message: msg})
}
