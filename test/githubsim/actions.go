package githubsim

import (
	"net/http"
)

// This file serves a repository's GitHub Actions settings:
// /actions/permissions (enabled, allowed_actions, sha_pinning_required) and
// /actions/permissions/workflow (default_workflow_permissions,
// can_approve_pull_request_reviews). Organization-level policies that would
// make GitHub answer 409 are not modelled.

func (s *Server) getActionsPermissions(c *call) *reply {
	r, rep := c.repo(docsActionsPerms)
	if rep != nil {
		return rep
	}
	a := r.actions
	body := map[string]any{"enabled": a.Enabled, "sha_pinning_required": a.SHAPinningRequired}
	// GitHub leaves allowed_actions out while Actions are disabled.
	if a.Enabled {
		body["allowed_actions"] = a.AllowedActions
	}
	if a.Enabled && a.AllowedActions == "selected" {
		body["selected_actions_url"] = c.base + "repos/" + r.FullName + "/actions/permissions/selected-actions"
	}
	return &reply{status: http.StatusOK, body: body}
}

func (s *Server) putActionsPermissions(c *call) *reply {
	r, rep := c.repo(docsActionsPerms)
	if rep != nil {
		return rep
	}
	var in struct {
		Enabled            *bool   `json:"enabled"`
		AllowedActions     *string `json:"allowed_actions"`
		SHAPinningRequired *bool   `json:"sha_pinning_required"`
	}
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	if in.Enabled == nil {
		return validationFailed(docsActionsPerms, fieldError{Resource: "ActionsPermissions", Field: "enabled", Code: "missing_field"})
	}
	if in.AllowedActions != nil {
		switch *in.AllowedActions {
		case "all", "local_only", "selected":
		default:
			return invalidField(docsActionsPerms, "ActionsPermissions", "allowed_actions", "allowed_actions must be all, local_only or selected")
		}
	}
	r.actions.Enabled = *in.Enabled
	if in.AllowedActions != nil {
		r.actions.AllowedActions = *in.AllowedActions
	}
	if in.SHAPinningRequired != nil {
		r.actions.SHAPinningRequired = *in.SHAPinningRequired
	}
	return &reply{status: http.StatusNoContent}
}

func (s *Server) getWorkflowPermissions(c *call) *reply {
	r, rep := c.repo(docsActionsPerms)
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: map[string]any{
		"default_workflow_permissions":     r.actions.DefaultWorkflowPermissions,
		"can_approve_pull_request_reviews": r.actions.CanApprovePullRequestReviews,
	}}
}

func (s *Server) putWorkflowPermissions(c *call) *reply {
	r, rep := c.repo(docsActionsPerms)
	if rep != nil {
		return rep
	}
	var in struct {
		DefaultWorkflowPermissions   *string `json:"default_workflow_permissions"`
		CanApprovePullRequestReviews *bool   `json:"can_approve_pull_request_reviews"`
	}
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	if p := in.DefaultWorkflowPermissions; p != nil && *p != "read" && *p != "write" {
		return invalidField(docsActionsPerms, "WorkflowPermissions", "default_workflow_permissions", "default_workflow_permissions must be read or write")
	}
	if in.DefaultWorkflowPermissions != nil {
		r.actions.DefaultWorkflowPermissions = *in.DefaultWorkflowPermissions
	}
	if in.CanApprovePullRequestReviews != nil {
		r.actions.CanApprovePullRequestReviews = *in.CanApprovePullRequestReviews
	}
	return &reply{status: http.StatusNoContent}
}
