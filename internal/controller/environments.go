package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// reconcileEnvironments creates and updates each environment of spec.environments: reviewers, self-review,
// wait timer and deployment branch policy, with custom patterns kept exactly equal to the spec. Drift made
// on GitHub is reverted with an event saying what drifted. Environments not in the spec are never touched.
func (r *SecurePipelineReconciler) reconcileEnvironments(ctx context.Context, s *pipelineState) error {
	p := s.p
	var statuses []civ1alpha1.EnvironmentStatus
	var errs []error
	// Each environment fails alone: a 502 on one must not leave the others (and their credentials) behind.
	for i := range p.Spec.Environments {
		st, err := r.reconcileEnvironment(ctx, s, i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		statuses = append(statuses, st)
	}
	if err := combineErrors(errs); err != nil {
		// Keep what is known of the others, so that deletion still knows what this pipeline created.
		p.Status.Environments = mergeEnvironmentStatus(p.Status.Environments, statuses)
		return err
	}
	p.Status.Environments = statuses
	names := make([]string, 0, len(statuses))
	for _, st := range statuses {
		names = append(names, st.Name)
	}
	msg := "no environments declared"
	if len(names) > 0 {
		msg = fmt.Sprintf("environments %s match the spec", strings.Join(names, ", "))
	}
	msg += r.environmentNotes(s)
	setCondition(p, civ1alpha1.EnvironmentsReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason, msg)
	return nil
}

func (r *SecurePipelineReconciler) reconcileEnvironment(ctx context.Context, s *pipelineState, i int) (civ1alpha1.EnvironmentStatus, error) {
	p, owner, repo := s.p, s.p.Spec.Repository.Owner, s.p.Spec.Repository.Name
	spec := p.Spec.Environments[i]
	st := civ1alpha1.EnvironmentStatus{Name: spec.Name, CreatedByOperator: createdByOperator(p, spec.Name)}

	want, err := r.desiredEnvironment(ctx, s, i)
	if err != nil {
		return st, err
	}
	where := fmt.Sprintf("environment %s of %s", spec.Name, p.RepositoryFullName())
	have, err := s.gh.GetEnvironment(ctx, owner, repo, spec.Name)
	created := false
	switch {
	case githubapi.IsNotFound(err):
		created = true
		have, err = r.putEnvironment(ctx, s, i, want)
		if err != nil {
			return st, gateFailure(p, spec.Name, classify(err, "creating "+where))
		}
		st.CreatedByOperator = true
		r.changed(s, "EnvironmentCreated", "created %s with %d required reviewer(s)", where, len(want.Reviewers))
	case err != nil:
		return st, classify(err, "reading "+where)
	default:
		if drift := environmentDrift(have.EnvironmentSettings, want, s.p.Spec.GitHub.AcceptUnenforcedAdminBypass); len(drift) > 0 {
			have, err = r.putEnvironment(ctx, s, i, want)
			if err != nil {
				return st, gateFailure(p, spec.Name, classify(err, "updating "+where))
			}
			r.changed(s, "EnvironmentUpdated", "reverted %s on %s to the spec", strings.Join(drift, ", "), where)
		}
	}
	if want.CanAdminsBypass != nil && have.CanAdminsBypass == nil && p.Spec.GitHub.AcceptUnenforcedAdminBypass {
		s.noteUnenforced(spec.Name)
	}
	st.ID = have.ID
	st.Reviewers = int32(len(want.Reviewers))

	if want.BranchPolicy == githubapi.CustomBranchPolicies {
		if err := r.reconcileBranchPolicies(ctx, s, spec, created); err != nil {
			return st, err
		}
	}
	return st, nil
}

// desiredEnvironment turns a spec environment into GitHub's terms, resolving reviewers to ids.
func (r *SecurePipelineReconciler) desiredEnvironment(ctx context.Context, s *pipelineState, i int) (githubapi.EnvironmentSettings, error) {
	spec := s.p.Spec.Environments[i]
	want := githubapi.EnvironmentSettings{Name: spec.Name, WaitTimer: int(spec.WaitTimerMinutes)}
	for j, rv := range spec.Reviewers {
		ref, err := r.resolveReviewer(ctx, s, rv)
		if err != nil {
			if githubapi.IsNotFound(err) {
				kind, name := "user", rv.User
				if rv.Team != "" {
					kind, name = "team", s.p.Spec.Repository.Owner+"/"+rv.Team
				}
				return want, stallingLocal(civ1alpha1.ReviewerNotFoundReason,
					"reviewer %s %q of environment %s (spec.environments[%d].reviewers[%d]) does not exist on GitHub: fix the login or team slug",
					kind, name, spec.Name, i, j)
			}
			return want, classify(err, "resolving the reviewers of environment "+spec.Name)
		}
		want.Reviewers = append(want.Reviewers, ref)
	}
	// GitHub keeps prevent_self_review only as part of a required-reviewers rule.
	want.PreventSelfReview = spec.SelfReviewPrevented() && len(want.Reviewers) > 0
	switch {
	case s.p.Spec.HoldsProductionCredentials(spec.Name):
		// The gate (admission refuses anything else; these hold for objects stored before that rule).
		want.PreventSelfReview = len(want.Reviewers) > 0
		want.CanAdminsBypass = new(false)
	case spec.AllowAdminBypass != nil:
		want.CanAdminsBypass = new(*spec.AllowAdminBypass)
	}
	switch db := spec.DeploymentBranches; {
	case db == nil:
		want.BranchPolicy = githubapi.AllBranches
	case db.ProtectedBranches:
		want.BranchPolicy = githubapi.ProtectedBranches
	default:
		want.BranchPolicy = githubapi.CustomBranchPolicies
	}
	return want, nil
}

// resolveReviewer resolves a login or team slug to its id. Ids are facts about a server, the same for
// every credentials there, so they are cached by the canonical server: never by a label of the
// credentials, which another tenant's credentials (or a server of its own) could share.
func (r *SecurePipelineReconciler) resolveReviewer(ctx context.Context, s *pipelineState, rv civ1alpha1.Reviewer) (githubapi.Reviewer, error) {
	now := r.Now()
	if rv.User != "" {
		key := s.server.String() + "\x00user\x00" + strings.ToLower(rv.User)
		if id, ok := r.ids.get(key, now); ok {
			return githubapi.Reviewer{Type: githubapi.ReviewerUser, ID: id}, nil
		}
		id, err := s.gh.UserID(ctx, rv.User)
		if err != nil {
			return githubapi.Reviewer{}, err
		}
		r.ids.put(key, id, now)
		return githubapi.Reviewer{Type: githubapi.ReviewerUser, ID: id}, nil
	}
	org := s.p.Spec.Repository.Owner
	key := s.server.String() + "\x00team\x00" + strings.ToLower(org+"/"+rv.Team)
	if id, ok := r.ids.get(key, now); ok {
		return githubapi.Reviewer{Type: githubapi.ReviewerTeam, ID: id}, nil
	}
	id, err := s.gh.TeamID(ctx, org, rv.Team)
	if err != nil {
		return githubapi.Reviewer{}, err
	}
	r.ids.put(key, id, now)
	return githubapi.Reviewer{Type: githubapi.ReviewerTeam, ID: id}, nil
}

// environmentDrift names the protection rules on GitHub that differ from the spec. A server that does not
// report can_admins_bypass (older GitHub Enterprise Server) cannot be told to change it either: that is
// drift only while the pipeline has not accepted it (the write then fails with AdminBypassUnsupported).
func environmentDrift(have, want githubapi.EnvironmentSettings, acceptUnenforcedAdminBypass bool) []string {
	var drift []string
	if w := want.CanAdminsBypass; w != nil {
		if h := have.CanAdminsBypass; (h == nil && !acceptUnenforcedAdminBypass) || (h != nil && *h != *w) {
			drift = append(drift, "can_admins_bypass")
		}
	}
	if !sameReviewers(have.Reviewers, want.Reviewers) {
		drift = append(drift, "reviewers")
	}
	if len(want.Reviewers) > 0 && have.PreventSelfReview != want.PreventSelfReview {
		drift = append(drift, "prevent_self_review")
	}
	if have.WaitTimer != want.WaitTimer {
		drift = append(drift, "wait_timer")
	}
	if have.BranchPolicy != want.BranchPolicy {
		drift = append(drift, "deployment_branch_policy")
	}
	return drift
}

func sameReviewers(a, b []githubapi.Reviewer) bool {
	key := func(r githubapi.Reviewer) string { return fmt.Sprintf("%s/%d", r.Type, r.ID) }
	ka, kb := make([]string, 0, len(a)), make([]string, 0, len(b))
	for _, r := range a {
		ka = append(ka, key(r))
	}
	for _, r := range b {
		kb = append(kb, key(r))
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

// reconcileBranchPolicies keeps an environment's custom deployment branch and tag policies exactly equal
// to spec.environments[].deploymentBranches.patterns. An environment created in this run has none, so
// they are not listed.
func (r *SecurePipelineReconciler) reconcileBranchPolicies(ctx context.Context, s *pipelineState, spec civ1alpha1.Environment, created bool) error {
	p, owner, repo := s.p, s.p.Spec.Repository.Owner, s.p.Spec.Repository.Name
	where := fmt.Sprintf("the deployment branch policies of environment %s of %s", spec.Name, p.RepositoryFullName())
	var have []githubapi.BranchPolicy
	if !created {
		var err error
		if have, err = s.gh.ListBranchPolicies(ctx, owner, repo, spec.Name); err != nil {
			return classify(err, "reading "+where)
		}
	}
	key := func(name, typ string) string {
		if typ == "" {
			typ = string(civ1alpha1.RefTypeBranch)
		}
		return typ + ":" + name
	}
	want := map[string]civ1alpha1.DeploymentBranchPattern{}
	for _, pat := range spec.DeploymentBranches.Patterns {
		want[key(pat.Name, string(pat.Type))] = pat
	}
	present := map[string]bool{}
	for _, bp := range have {
		k := key(bp.Name, bp.Type)
		if _, ok := want[k]; ok && !present[k] {
			present[k] = true
			continue
		}
		if err := s.gh.DeleteBranchPolicy(ctx, owner, repo, spec.Name, bp.ID); err != nil {
			return classify(err, "deleting a policy from "+where)
		}
		r.changed(s, "BranchPolicyDeleted", "removed %s pattern %q from environment %s: it is not in the spec", typeOr(bp.Type), bp.Name, spec.Name)
	}
	for _, pat := range spec.DeploymentBranches.Patterns {
		if present[key(pat.Name, string(pat.Type))] {
			continue
		}
		if _, err := s.gh.CreateBranchPolicy(ctx, owner, repo, spec.Name, githubapi.BranchPolicy{Name: pat.Name, Type: typeOr(string(pat.Type))}); err != nil {
			return classify(err, "adding a policy to "+where)
		}
		r.changed(s, "BranchPolicyCreated", "allowed %s pattern %q to deploy to environment %s", typeOr(string(pat.Type)), pat.Name, spec.Name)
	}
	return nil
}

func typeOr(t string) string {
	if t == "" {
		return string(civ1alpha1.RefTypeBranch)
	}
	return t
}

func createdByOperator(p *civ1alpha1.SecurePipeline, name string) bool {
	for _, e := range p.Status.Environments {
		if strings.EqualFold(e.Name, name) { // as GitHub compares names
			return e.CreatedByOperator
		}
	}
	return false
}

// mergeEnvironmentStatus updates old with the entries of fresh, keeping old entries fresh lacks.
func mergeEnvironmentStatus(old, fresh []civ1alpha1.EnvironmentStatus) []civ1alpha1.EnvironmentStatus {
	out := slices.Clone(old)
	for _, f := range fresh {
		i := slices.IndexFunc(out, func(e civ1alpha1.EnvironmentStatus) bool { return strings.EqualFold(e.Name, f.Name) })
		if i >= 0 {
			out[i] = f
		} else {
			out = append(out, f)
		}
	}
	return out
}
