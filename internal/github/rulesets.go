package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Rulesets use small types of their own: go-github v60's ruleset types predate fields GitHub sends now
// and model rule parameters in ways that round-trip badly. Only required_status_checks is modelled; the
// operator's rulesets hold nothing else.

const (
	ruleRequiredStatusChecks = "required_status_checks"
	// rulesetTargetBranch is the target of rulesets on branches, the operator's only kind.
	rulesetTargetBranch = "branch"
)

type refNameJSON struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

type ruleJSON struct {
	Type       string          `json:"type"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

type statusCheckJSON struct {
	Context string `json:"context"`
}

// statusChecksJSON are a required_status_checks rule's parameters. The strict policy is always false: the
// operator requires the checks to pass, not that branches be up to date with the base before merging.
type statusChecksJSON struct {
	RequiredStatusChecks             []statusCheckJSON `json:"required_status_checks"`
	StrictRequiredStatusChecksPolicy bool              `json:"strict_required_status_checks_policy"`
}

// rulesetJSON is GitHub's answer (a summary in lists, the whole ruleset otherwise).
type rulesetJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Target      string `json:"target"`
	SourceType  string `json:"source_type"`
	Enforcement string `json:"enforcement"`
	Conditions  struct {
		RefName *refNameJSON `json:"ref_name"`
	} `json:"conditions"`
	Rules []ruleJSON `json:"rules"`
}

// rulesetBody is the POST/PUT body. bypass_actors is left out so a PUT keeps the ones a human set.
type rulesetBody struct {
	Name        string `json:"name"`
	Target      string `json:"target"`
	Enforcement string `json:"enforcement"`
	Conditions  struct {
		RefName refNameJSON `json:"ref_name"`
	} `json:"conditions"`
	Rules []ruleJSON `json:"rules"`
}

func (r *rulesetJSON) toRuleset() (*Ruleset, error) {
	out := &Ruleset{ID: r.ID, Name: r.Name, Target: r.Target, Enforcement: r.Enforcement}
	if rn := r.Conditions.RefName; rn != nil {
		out.IncludeRefs, out.ExcludeRefs = rn.Include, rn.Exclude
	}
	for _, rule := range r.Rules {
		if rule.Type != ruleRequiredStatusChecks {
			continue
		}
		var p statusChecksJSON
		if err := json.Unmarshal(rule.Parameters, &p); err != nil {
			return nil, fmt.Errorf("GitHub sent ruleset %d with unreadable required_status_checks parameters: %w", r.ID, err)
		}
		for _, sc := range p.RequiredStatusChecks {
			out.RequiredStatusChecks = append(out.RequiredStatusChecks, sc.Context)
		}
	}
	return out, nil
}

func newRulesetBody(r Ruleset) (*rulesetBody, error) {
	b := &rulesetBody{Name: r.Name, Target: r.Target, Enforcement: r.Enforcement, Rules: []ruleJSON{}}
	if b.Target == "" {
		b.Target = rulesetTargetBranch
	}
	// GitHub wants arrays here, never null.
	b.Conditions.RefName = refNameJSON{Include: append([]string{}, r.IncludeRefs...), Exclude: append([]string{}, r.ExcludeRefs...)}
	if len(r.RequiredStatusChecks) > 0 {
		var p statusChecksJSON
		for _, check := range r.RequiredStatusChecks {
			p.RequiredStatusChecks = append(p.RequiredStatusChecks, statusCheckJSON{Context: check})
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		b.Rules = append(b.Rules, ruleJSON{Type: ruleRequiredStatusChecks, Parameters: raw})
	}
	return b, nil
}

func rulesetsPath(owner, repo string) string { return repoPath(owner, repo) + "/rulesets" }

func rulesetPath(owner, repo string, id int64) string {
	return fmt.Sprintf("%s/%d", rulesetsPath(owner, repo), id)
}

// ListRulesets implements Client.
func (c *client) ListRulesets(ctx context.Context, owner, repo string) ([]Ruleset, error) {
	var out []Ruleset
	err := listPages(ctx, c, rulesetsPath(owner, repo)+"?includes_parents=false", func(page []rulesetJSON) {
		for _, r := range page {
			// includes_parents=false should already leave organisation rulesets out; be sure.
			if r.SourceType != "" && r.SourceType != "Repository" {
				continue
			}
			out = append(out, Ruleset{ID: r.ID, Name: r.Name, Target: r.Target, Enforcement: r.Enforcement})
		}
	})
	if err != nil {
		return nil, fail(err, "listing the rulesets of %s/%s", owner, repo)
	}
	return out, nil
}

// GetRuleset implements Client.
func (c *client) GetRuleset(ctx context.Context, owner, repo string, id int64) (*Ruleset, error) {
	var r rulesetJSON
	if _, err := c.do(ctx, http.MethodGet, rulesetPath(owner, repo, id), nil, &r); err != nil {
		return nil, fail(err, "reading ruleset %d of %s/%s", id, owner, repo)
	}
	return r.toRuleset()
}

// CreateRuleset implements Client.
func (c *client) CreateRuleset(ctx context.Context, owner, repo string, r Ruleset) (*Ruleset, error) {
	return c.writeRuleset(ctx, http.MethodPost, rulesetsPath(owner, repo), r, fmt.Sprintf("creating ruleset %q on %s/%s", r.Name, owner, repo))
}

// UpdateRuleset implements Client; r.ID names the ruleset. Name, target, enforcement, ref conditions and
// rules are replaced (rules other than required_status_checks are dropped); bypass actors are kept.
func (c *client) UpdateRuleset(ctx context.Context, owner, repo string, r Ruleset) (*Ruleset, error) {
	return c.writeRuleset(ctx, http.MethodPut, rulesetPath(owner, repo, r.ID), r, fmt.Sprintf("updating ruleset %d (%q) of %s/%s", r.ID, r.Name, owner, repo))
}

func (c *client) writeRuleset(ctx context.Context, method, path string, r Ruleset, what string) (*Ruleset, error) {
	body, err := newRulesetBody(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var got rulesetJSON
	if _, err := c.do(ctx, method, path, body, &got); err != nil {
		return nil, fail(err, "%s", what)
	}
	return got.toRuleset()
}

// DeleteRuleset implements Client.
func (c *client) DeleteRuleset(ctx context.Context, owner, repo string, id int64) error {
	if _, err := c.do(ctx, http.MethodDelete, rulesetPath(owner, repo, id), nil, nil); ignoreNotFound(err) != nil {
		return fail(err, "deleting ruleset %d of %s/%s", id, owner, repo)
	}
	return nil
}
