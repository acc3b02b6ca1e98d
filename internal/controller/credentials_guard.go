package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// ensureGated is the production guard, run right before every push of a production-tier credential: GitHub
// must confirm that the registry's environment is gated, i.e. has required reviewers, prevent_self_review
// and can_admins_bypass false (gateProblems). The environments concern ran earlier in the same reconcile,
// but a human may have changed the environment since, or that concern may have failed on it. When the gate
// is broken (or the environment is gone), it restores the environment as the spec declares it; if that
// fails, it returns an EnvironmentNotGated error and the credential is not pushed.
//
// A server that does not know can_admins_bypass (older GitHub Enterprise Server) cannot forbid
// administrators to bypass the reviewers: the credential is then pushed only when the pipeline accepts
// that (spec.github.acceptUnenforcedAdminBypass), and unenforced says so; otherwise the error is
// AdminBypassUnsupported.
func (r *SecurePipelineReconciler) ensureGated(ctx context.Context, s *pipelineState, regIdx int) (unenforced bool, err error) {
	p := s.p
	reg := &p.Spec.Registries[regIdx]
	owner, repo := p.Spec.Repository.Owner, p.Spec.Repository.Name
	where := fmt.Sprintf("environment %s of %s", reg.Environment, p.RepositoryFullName())

	have, err := s.gh.GetEnvironment(ctx, owner, repo, reg.Environment)
	if err != nil && !githubapi.IsNotFound(err) {
		// Not confirmed, so not pushed; the retry looks again.
		return false, classify(err, fmt.Sprintf("confirming that %s is gated before pushing the production credential of registry %s", where, reg.Name))
	}
	var problems []string
	unsupported := false
	if err != nil {
		problems = []string{"does not exist on GitHub"}
	} else {
		problems, unsupported = gateProblems(have)
	}
	if len(problems) == 0 {
		return r.acceptUnsupported(s, regIdx, unsupported)
	}
	problem := strings.Join(problems, " and ")
	notGated := func(cause error) error {
		msg := fmt.Sprintf("registry %s (spec.registries[%d]) is production-tier, but %s %s and restoring it failed: %v; the credential was not pushed",
			reg.Name, regIdx, where, problem, cause)
		if st, ok := asStalling(cause); ok {
			reason := civ1alpha1.EnvironmentNotGatedReason
			if st.reason == civ1alpha1.AdminBypassUnsupportedReason {
				reason = st.reason
			}
			return &stallingError{reason: reason, msg: msg, local: true, err: cause}
		}
		after := notGatedRetry
		if w, ok := asWaiting(cause); ok && w.after > after {
			after = w.after
		}
		return &waitingError{reason: civ1alpha1.EnvironmentNotGatedReason, msg: msg, after: after, err: cause}
	}

	envIdx := p.Spec.EnvironmentIndex(reg.Environment)
	if envIdx < 0 {
		// Admission forbids this; say so rather than push.
		return false, notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "the environment is not in spec.environments"))
	}
	want, err := r.desiredEnvironment(ctx, s, envIdx)
	if err != nil {
		return false, notGated(err)
	}
	if len(want.Reviewers) == 0 {
		return false, notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "spec.environments[%d] declares no reviewers", envIdx))
	}
	got, err := r.putEnvironment(ctx, s, envIdx, want)
	if err != nil {
		return false, notGated(classify(err, "updating "+where))
	}
	left, unsupported := gateProblems(got)
	if len(left) > 0 {
		return false, notGated(stallingLocal(civ1alpha1.EnvironmentNotGatedReason, "GitHub accepted the update but still reports that the environment %s", strings.Join(left, " and ")))
	}
	s.changed = true
	r.event(p, corev1.EventTypeWarning, "EnvironmentRestored", "UpdateGitHub",
		"%s %s, so it was restored to the spec (%d required reviewer(s)) before pushing the production credential of registry %s",
		where, problem, len(got.Reviewers), reg.Name)
	return r.acceptUnsupported(s, regIdx, unsupported)
}

// acceptUnsupported decides a push to an environment whose server does not report can_admins_bypass.
func (r *SecurePipelineReconciler) acceptUnsupported(s *pipelineState, regIdx int, unsupported bool) (bool, error) {
	if !unsupported {
		return false, nil
	}
	p := s.p
	reg := &p.Spec.Registries[regIdx]
	if !p.Spec.GitHub.AcceptUnenforcedAdminBypass {
		return false, stallingLocal(civ1alpha1.AdminBypassUnsupportedReason,
			"registry %s (spec.registries[%d]) is production-tier, but the GitHub server does not support %s on environment %s of %s, so repository administrators could deploy with the credential without approval; the credential was not pushed: upgrade GitHub Enterprise Server, or set spec.github.acceptUnenforcedAdminBypass: true to accept the risk",
			reg.Name, regIdx, adminBypassKey, reg.Environment, p.RepositoryFullName())
	}
	s.noteUnenforced(reg.Environment)
	r.event(p, corev1.EventTypeWarning, civ1alpha1.AdminBypassNotEnforcedReason, "UpdateGitHub",
		"pushing the production credential of registry %s (spec.registries[%d]) to environment %s of %s, whose server does not support %s: repository administrators can deploy with it without approval (accepted by spec.github.acceptUnenforcedAdminBypass)",
		reg.Name, regIdx, reg.Environment, p.RepositoryFullName(), adminBypassKey)
	return true, nil
}
