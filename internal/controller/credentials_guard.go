package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// ensureGated is the production guard, run right before every push of a production-tier credential: GitHub
// must confirm that the registry's environment has required reviewers. The environments concern ran
// earlier in the same reconcile, but a human may have removed the reviewers since, or that concern may
// have stopped before this environment. When the reviewers are gone (or the environment is), it restores
// the environment as the spec declares it; if that fails, it returns an EnvironmentNotGated error and the
// credential is not pushed.
func (r *SecurePipelineReconciler) ensureGated(ctx context.Context, s *pipelineState, regIdx int) error {
	p := s.p
	reg := &p.Spec.Registries[regIdx]
	owner, repo := p.Spec.Repository.Owner, p.Spec.Repository.Name
	where := fmt.Sprintf("environment %s of %s", reg.Environment, p.RepositoryFullName())

	have, err := s.gh.GetEnvironment(ctx, owner, repo, reg.Environment)
	switch {
	case err == nil && len(have.Reviewers) > 0:
		return nil
	case err != nil && !githubapi.IsNotFound(err):
		// Not confirmed, so not pushed; the retry looks again.
		return classify(err, fmt.Sprintf("confirming that %s has required reviewers before pushing the production credential of registry %s", where, reg.Name))
	}
	problem := "has no required reviewers on GitHub"
	if err != nil {
		problem = "does not exist on GitHub"
	}
	notGated := func(cause error) error {
		msg := fmt.Sprintf("registry %s (spec.registries[%d]) is production-tier, but %s %s and restoring it failed: %v; the credential was not pushed",
			reg.Name, regIdx, where, problem, cause)
		if _, ok := asStalling(cause); ok {
			return stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "%s", msg)
		}
		after := notGatedRetry
		if w, ok := asWaiting(cause); ok && w.after > after {
			after = w.after
		}
		return &waitingError{reason: civ1alpha1.EnvironmentNotGatedReason, msg: msg, after: after}
	}

	envIdx := -1
	for i := range p.Spec.Environments {
		if p.Spec.Environments[i].Name == reg.Environment {
			envIdx = i
		}
	}
	if envIdx < 0 {
		// Admission forbids this; say so rather than push.
		return notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "the environment is not in spec.environments"))
	}
	want, err := r.desiredEnvironment(ctx, s, envIdx)
	if err != nil {
		return notGated(err)
	}
	if len(want.Reviewers) == 0 {
		return notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "spec.environments[%d] declares no reviewers", envIdx))
	}
	got, err := s.gh.PutEnvironment(ctx, owner, repo, want)
	if err != nil {
		return notGated(classify(err, "updating "+where))
	}
	if len(got.Reviewers) == 0 {
		return notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "GitHub accepted the update but still reports no required reviewers"))
	}
	s.changed = true
	r.event(p, corev1.EventTypeWarning, "EnvironmentRestored", "UpdateGitHub",
		"%s %s, so it was restored to the spec (%d required reviewer(s)) before pushing the production credential of registry %s",
		where, problem, len(got.Reviewers), reg.Name)
	return nil
}
