package controller

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// reconcileRepositorySettings keeps the repository's Actions settings as spec.actions says: the default
// GITHUB_TOKEN permissions, whether Actions may approve pull requests, and SHA pinning. Fields of
// GitHub's Actions permissions that the spec does not manage are written back as they were.
func (r *SecurePipelineReconciler) reconcileRepositorySettings(ctx context.Context, s *pipelineState) error {
	p, owner, name := s.p, s.p.Spec.Repository.Owner, s.p.Spec.Repository.Name
	want := p.Spec.Actions
	if want.DefaultWorkflowPermissions == "" {
		want.DefaultWorkflowPermissions = civ1alpha1.WorkflowPermissionsRead
	}

	wp, err := s.gh.GetWorkflowPermissions(ctx, owner, name)
	if err != nil {
		return classify(err, "reading the workflow permissions of "+p.RepositoryFullName())
	}
	if wp.DefaultWorkflowPermissions != string(want.DefaultWorkflowPermissions) || wp.CanApprovePullRequestReviews != want.CanApprovePullRequestReviews {
		before := *wp
		wp.DefaultWorkflowPermissions = string(want.DefaultWorkflowPermissions)
		wp.CanApprovePullRequestReviews = want.CanApprovePullRequestReviews
		if err := s.gh.SetWorkflowPermissions(ctx, owner, name, *wp); err != nil {
			return classify(err, "setting the workflow permissions of "+p.RepositoryFullName())
		}
		r.changed(s, "WorkflowPermissionsUpdated",
			"set default GITHUB_TOKEN permissions of %s to %q (was %q) and can_approve_pull_request_reviews to %t (was %t)",
			p.RepositoryFullName(), wp.DefaultWorkflowPermissions, before.DefaultWorkflowPermissions,
			wp.CanApprovePullRequestReviews, before.CanApprovePullRequestReviews)
	}

	pinning, note := r.desiredSHAPinning(s)
	if pinning != nil {
		ap, err := s.gh.GetActionsPermissions(ctx, owner, name)
		if err != nil {
			return classify(err, "reading the Actions permissions of "+p.RepositoryFullName())
		}
		if ap.SHAPinningRequired != *pinning {
			ap.SHAPinningRequired = *pinning
			if err := s.gh.SetActionsPermissions(ctx, owner, name, *ap); err != nil {
				return classify(err, "setting sha_pinning_required on "+p.RepositoryFullName())
			}
			r.changed(s, "SHAPinningUpdated", "set sha_pinning_required on %s to %t", p.RepositoryFullName(), *pinning)
		}
	}

	msg := fmt.Sprintf("default GITHUB_TOKEN permissions are %s; Actions may approve pull requests: %t; %s",
		want.DefaultWorkflowPermissions, want.CanApprovePullRequestReviews, note)
	setCondition(p, civ1alpha1.RepositorySettingsReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason, msg)
	return nil
}

// desiredSHAPinning says what sha_pinning_required should be (nil: leave it) and why.
func (r *SecurePipelineReconciler) desiredSHAPinning(s *pipelineState) (*bool, string) {
	on := true
	switch s.p.Spec.Actions.SHAPinning {
	case civ1alpha1.SHAPinningRequired:
		return &on, "actions must be pinned to full commit SHAs"
	case civ1alpha1.SHAPinningUnmanaged:
		return nil, "SHA pinning is unmanaged"
	}
	// WhenCompliant (the default): switching the setting on breaks every workflow not yet pinned, so
	// it waits for an audit that finds no unpinned action (SP002).
	if !s.p.Spec.WorkflowAudit.AuditEnabled() {
		return nil, "SHA pinning is left as it is: shaPinning WhenCompliant needs spec.workflowAudit.enabled"
	}
	if s.audit == nil {
		return nil, "SHA pinning is left as it is until the workflow audit has run"
	}
	if blockers := s.audit.unpinnedFiles(); len(blockers) > 0 {
		return nil, fmt.Sprintf("SHA pinning is not required yet: unpinned actions (SP002) in %s", strings.Join(blockers, ", "))
	}
	return &on, "actions must be pinned to full commit SHAs (the workflow audit found no unpinned action)"
}
