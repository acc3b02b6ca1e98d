package github

import (
	"context"
	"fmt"
	"net/http"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// environmentJSON is GitHub's environment answer, in the parts the operator reads. go-github's type
// decodes reviewers into interface{} and hides wait_timer in protection_rules too; this is plainer.
type environmentJSON struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	CanAdminsBypass *bool     `json:"can_admins_bypass"`
	ProtectionRules []struct {
		Type              string `json:"type"`
		WaitTimer         int    `json:"wait_timer"`
		PreventSelfReview bool   `json:"prevent_self_review"`
		Reviewers         []struct {
			Type     ReviewerType `json:"type"`
			Reviewer struct {
				ID int64 `json:"id"`
			} `json:"reviewer"`
		} `json:"reviewers"`
	} `json:"protection_rules"`
	DeploymentBranchPolicy *branchPolicyJSON `json:"deployment_branch_policy"`
}

type branchPolicyJSON struct {
	ProtectedBranches    bool `json:"protected_branches"`
	CustomBranchPolicies bool `json:"custom_branch_policies"`
}

type reviewerJSON struct {
	Type ReviewerType `json:"type"`
	ID   int64        `json:"id"`
}

// environmentPut is the PUT body. Every protection field is sent, so the environment ends up exactly as
// desired: reviewers null removes them, deployment_branch_policy null lets all branches deploy.
// can_admins_bypass is sent only when the operator decides it (EnvironmentSettings.CanAdminsBypass), so
// that an environment the spec says nothing about keeps what a human chose; go-github's type cannot leave
// it out (an unset CanAdminsBypass marshals as true), hence this type.
type environmentPut struct {
	WaitTimer              int               `json:"wait_timer"`
	PreventSelfReview      bool              `json:"prevent_self_review"`
	Reviewers              []reviewerJSON    `json:"reviewers"`
	DeploymentBranchPolicy *branchPolicyJSON `json:"deployment_branch_policy"`
	CanAdminsBypass        *bool             `json:"can_admins_bypass,omitempty"`
}

func (e *environmentJSON) toEnvironment() *Environment {
	out := &Environment{ID: e.ID, Name: e.Name, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	out.EnvironmentSettings.Name = e.Name
	out.CanAdminsBypass = e.CanAdminsBypass
	for _, r := range e.ProtectionRules {
		switch r.Type {
		case "wait_timer":
			out.WaitTimer = r.WaitTimer
		case "required_reviewers":
			out.PreventSelfReview = r.PreventSelfReview
			for _, rv := range r.Reviewers {
				out.Reviewers = append(out.Reviewers, Reviewer{Type: rv.Type, ID: rv.Reviewer.ID})
			}
		}
	}
	switch p := e.DeploymentBranchPolicy; {
	case p == nil:
		out.BranchPolicy = AllBranches
	case p.CustomBranchPolicies:
		out.BranchPolicy = CustomBranchPolicies
	default:
		out.BranchPolicy = ProtectedBranches
	}
	return out
}

// policyTypeBranch is the type of a branch (not tag) deployment policy, GitHub's default.
const policyTypeBranch = "branch"

func envPath(owner, repo, env string) string {
	return repoPath(owner, repo) + "/environments/" + esc(env)
}

// GetEnvironment implements Client.
func (c *client) GetEnvironment(ctx context.Context, owner, repo, name string) (*Environment, error) {
	var e environmentJSON
	if _, err := c.do(ctx, http.MethodGet, envPath(owner, repo, name), nil, &e); err != nil {
		return nil, fail(err, "reading environment %q of %s/%s", name, owner, repo)
	}
	return e.toEnvironment(), nil
}

// PutEnvironment implements Client.
func (c *client) PutEnvironment(ctx context.Context, owner, repo string, env EnvironmentSettings) (*Environment, error) {
	body := environmentPut{WaitTimer: env.WaitTimer, PreventSelfReview: env.PreventSelfReview, CanAdminsBypass: env.CanAdminsBypass}
	for _, r := range env.Reviewers {
		body.Reviewers = append(body.Reviewers, reviewerJSON(r))
	}
	switch env.BranchPolicy {
	case AllBranches:
	case ProtectedBranches:
		body.DeploymentBranchPolicy = &branchPolicyJSON{ProtectedBranches: true}
	case CustomBranchPolicies:
		body.DeploymentBranchPolicy = &branchPolicyJSON{CustomBranchPolicies: true}
	default:
		return nil, fmt.Errorf("writing environment %q of %s/%s: unknown branch policy mode %d", env.Name, owner, repo, env.BranchPolicy)
	}
	var e environmentJSON
	if _, err := c.do(ctx, http.MethodPut, envPath(owner, repo, env.Name), &body, &e); err != nil {
		return nil, fail(err, "writing environment %q of %s/%s", env.Name, owner, repo)
	}
	return e.toEnvironment(), nil
}

// DeleteEnvironment implements Client.
func (c *client) DeleteEnvironment(ctx context.Context, owner, repo, name string) error {
	if _, err := c.do(ctx, http.MethodDelete, envPath(owner, repo, name), nil, nil); ignoreNotFound(err) != nil {
		return fail(err, "deleting environment %q of %s/%s", name, owner, repo)
	}
	return nil
}

// ListBranchPolicies implements Client. go-github v60's list reads only the first page, so this pages itself.
func (c *client) ListBranchPolicies(ctx context.Context, owner, repo, env string) ([]BranchPolicy, error) {
	var out []BranchPolicy
	err := listPages(ctx, c, envPath(owner, repo, env)+"/deployment-branch-policies", func(page gogithub.DeploymentBranchPolicyResponse) {
		for _, p := range page.BranchPolicies {
			out = append(out, branchPolicy(p))
		}
	})
	if err != nil {
		return nil, fail(err, "listing the deployment branch policies of environment %q of %s/%s", env, owner, repo)
	}
	return out, nil
}

// CreateBranchPolicy implements Client. A policy that already exists is answered with a redirect to it,
// which is followed, so creating an existing policy returns it.
func (c *client) CreateBranchPolicy(ctx context.Context, owner, repo, env string, p BranchPolicy) (*BranchPolicy, error) {
	typ := p.Type
	if typ == "" {
		typ = policyTypeBranch
	}
	created, _, err := c.gh.Repositories.CreateDeploymentBranchPolicy(ctx, esc(owner), esc(repo), esc(env),
		&gogithub.DeploymentBranchPolicyRequest{Name: &p.Name, Type: &typ})
	if err != nil {
		return nil, fail(err, "adding %s policy %q to environment %q of %s/%s", typ, p.Name, env, owner, repo)
	}
	bp := branchPolicy(created)
	return &bp, nil
}

// DeleteBranchPolicy implements Client.
func (c *client) DeleteBranchPolicy(ctx context.Context, owner, repo, env string, id int64) error {
	_, err := c.gh.Repositories.DeleteDeploymentBranchPolicy(ctx, esc(owner), esc(repo), esc(env), id)
	if ignoreNotFound(err) != nil {
		return fail(err, "deleting deployment branch policy %d of environment %q of %s/%s", id, env, owner, repo)
	}
	return nil
}

func branchPolicy(p *gogithub.DeploymentBranchPolicy) BranchPolicy {
	typ := p.GetType()
	if typ == "" {
		typ = policyTypeBranch // older GitHub Enterprise Server versions only have branch policies and omit type
	}
	return BranchPolicy{ID: p.GetID(), Name: p.GetName(), Type: typ}
}
