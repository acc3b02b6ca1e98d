package controller

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// DCORulesetName is the name of the repository ruleset the operator owns for DCO enforcement; the name is
// how the operator recognises its own ruleset among those people create.
const DCORulesetName = "securepipeline-dco"

// defaultBranchRef is GitHub's ref_name condition for the repository's default branch.
const defaultBranchRef = "~DEFAULT_BRANCH"

// reconcileDCO keeps the operator's DCO ruleset as spec.dco says: with enforce, a ruleset requiring the
// status check on the default branch (and web commit sign-off when asked); without, no such ruleset.
// Rulesets the operator does not own are never touched.
func (r *SecurePipelineReconciler) reconcileDCO(ctx context.Context, s *pipelineState) error {
	p, owner, repo := s.p, s.p.Spec.Repository.Owner, s.p.Spec.Repository.Name
	have, err := r.findDCORuleset(ctx, s)
	if err != nil {
		return err
	}
	if !p.Spec.DCO.Enforce {
		if have != nil {
			if err := s.gh.DeleteRuleset(ctx, owner, repo, have.ID); err != nil {
				return classify(err, "deleting the DCO ruleset of "+p.RepositoryFullName())
			}
			r.changed(s, "DCORulesetDeleted", "removed ruleset %s (id %d) from %s: spec.dco.enforce is false", DCORulesetName, have.ID, p.RepositoryFullName())
		}
		p.Status.DCORulesetID = 0
		setCondition(p, civ1alpha1.DCOEnforcedCondition, metav1.ConditionTrue, civ1alpha1.DCONotEnforcedReason,
			"DCO is not enforced (spec.dco.enforce: false)")
		return nil
	}

	want := githubapi.Ruleset{
		Name: DCORulesetName, Enforcement: "active",
		IncludeRefs: []string{defaultBranchRef}, RequiredStatusChecks: []string{p.Spec.DCO.StatusCheck},
	}
	switch {
	case have == nil:
		created, err := s.gh.CreateRuleset(ctx, owner, repo, want)
		if err != nil {
			return classify(err, "creating the DCO ruleset of "+p.RepositoryFullName())
		}
		have = created
		r.changed(s, "DCORulesetCreated", "created ruleset %s (id %d) requiring status check %q on the default branch of %s",
			DCORulesetName, created.ID, want.RequiredStatusChecks[0], p.RepositoryFullName())
	case !sameRuleset(*have, want):
		want.ID = have.ID
		if _, err := s.gh.UpdateRuleset(ctx, owner, repo, want); err != nil {
			return classify(err, "updating the DCO ruleset of "+p.RepositoryFullName())
		}
		r.changed(s, "DCORulesetUpdated", "reverted ruleset %s (id %d) of %s to require status check %q on the default branch",
			DCORulesetName, have.ID, p.RepositoryFullName(), want.RequiredStatusChecks[0])
	}
	p.Status.DCORulesetID = have.ID

	if p.Spec.DCO.WebCommitSignoffRequired() && !s.repo.WebCommitSignoffRequired {
		if err := s.gh.SetWebCommitSignoffRequired(ctx, owner, repo, true); err != nil {
			return classify(err, "requiring web commit sign-off on "+p.RepositoryFullName())
		}
		s.repo.WebCommitSignoffRequired = true
		r.changed(s, "WebCommitSignoffRequired", "required sign-off on commits made in GitHub's web interface of %s", p.RepositoryFullName())
	}
	setCondition(p, civ1alpha1.DCOEnforcedCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason,
		fmt.Sprintf("ruleset %s (id %d) requires status check %q on the default branch", DCORulesetName, have.ID, p.Spec.DCO.StatusCheck))
	return nil
}

// findDCORuleset returns the operator's DCO ruleset, by the id in status or else by name, or nil.
func (r *SecurePipelineReconciler) findDCORuleset(ctx context.Context, s *pipelineState) (*githubapi.Ruleset, error) {
	p, owner, repo := s.p, s.p.Spec.Repository.Owner, s.p.Spec.Repository.Name
	if id := p.Status.DCORulesetID; id != 0 {
		rs, err := s.gh.GetRuleset(ctx, owner, repo, id)
		if err == nil && rs.Name == DCORulesetName {
			return rs, nil
		}
		if err != nil && !githubapi.IsNotFound(err) {
			return nil, classify(err, "reading the DCO ruleset of "+p.RepositoryFullName())
		}
	}
	list, err := s.gh.ListRulesets(ctx, owner, repo)
	if err != nil {
		return nil, classify(err, "listing the rulesets of "+p.RepositoryFullName())
	}
	for _, rs := range list {
		if rs.Name != DCORulesetName {
			continue
		}
		full, err := s.gh.GetRuleset(ctx, owner, repo, rs.ID)
		if err != nil {
			return nil, classify(err, "reading the DCO ruleset of "+p.RepositoryFullName())
		}
		return full, nil
	}
	return nil, nil
}

func sameRuleset(a, b githubapi.Ruleset) bool {
	return a.Enforcement == b.Enforcement && slices.Equal(a.IncludeRefs, b.IncludeRefs) &&
		len(a.ExcludeRefs) == 0 && slices.Equal(a.RequiredStatusChecks, b.RequiredStatusChecks)
}
