package github

import (
	"context"
	"net/http"

	gogithub "github.com/google/go-github/v60/github"
)

// actionsPermissionsJSON is GET/PUT /repos/{owner}/{repo}/actions/permissions. go-github v60 has no
// sha_pinning_required, hence this type. allowed_actions is omitted when empty because GitHub leaves it
// out while Actions are disabled and refuses an empty value.
type actionsPermissionsJSON struct {
	Enabled            bool   `json:"enabled"`
	AllowedActions     string `json:"allowed_actions,omitempty"`
	SHAPinningRequired bool   `json:"sha_pinning_required"`
}

// GetActionsPermissions implements Client.
func (c *client) GetActionsPermissions(ctx context.Context, owner, repo string) (*ActionsPermissions, error) {
	var p actionsPermissionsJSON
	if _, err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/actions/permissions", nil, &p); err != nil {
		return nil, fail(err, "reading the Actions permissions of %s/%s", owner, repo)
	}
	out := ActionsPermissions(p)
	return &out, nil
}

// SetActionsPermissions implements Client.
func (c *client) SetActionsPermissions(ctx context.Context, owner, repo string, p ActionsPermissions) error {
	body := actionsPermissionsJSON(p)
	if _, err := c.do(ctx, http.MethodPut, repoPath(owner, repo)+"/actions/permissions", &body, nil); err != nil {
		return fail(err, "writing the Actions permissions of %s/%s", owner, repo)
	}
	return nil
}

// GetWorkflowPermissions implements Client.
func (c *client) GetWorkflowPermissions(ctx context.Context, owner, repo string) (*WorkflowPermissions, error) {
	p, _, err := c.gh.Repositories.GetDefaultWorkflowPermissions(ctx, esc(owner), esc(repo))
	if err != nil {
		return nil, fail(err, "reading the default GITHUB_TOKEN permissions of %s/%s", owner, repo)
	}
	return &WorkflowPermissions{
		DefaultWorkflowPermissions:   p.GetDefaultWorkflowPermissions(),
		CanApprovePullRequestReviews: p.GetCanApprovePullRequestReviews(),
	}, nil
}

// SetWorkflowPermissions implements Client.
func (c *client) SetWorkflowPermissions(ctx context.Context, owner, repo string, p WorkflowPermissions) error {
	_, _, err := c.gh.Repositories.EditDefaultWorkflowPermissions(ctx, esc(owner), esc(repo), gogithub.DefaultWorkflowPermissionRepository{
		DefaultWorkflowPermissions:   &p.DefaultWorkflowPermissions,
		CanApprovePullRequestReviews: &p.CanApprovePullRequestReviews,
	})
	if err != nil {
		return fail(err, "writing the default GITHUB_TOKEN permissions of %s/%s", owner, repo)
	}
	return nil
}
