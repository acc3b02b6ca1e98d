package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// The production gate on GitHub: an environment that holds production-tier credentials has required
// reviewers, prevent_self_review and can_admins_bypass false. GitHub's can_admins_bypass defaults to true
// (any repository administrator may deploy without approval), so the operator sets it; older GitHub
// Enterprise Server has no such setting and refuses the key.

const adminBypassKey = "can_admins_bypass"

// putEnvironment writes spec.environments[envIdx] as want. When the server refuses can_admins_bypass, the
// write fails with AdminBypassUnsupported (stalling), unless the pipeline accepts the risk
// (spec.github.acceptUnenforcedAdminBypass): then it writes the rest without the key and remembers the
// environment, so that the conditions and every production push say so.
func (r *SecurePipelineReconciler) putEnvironment(ctx context.Context, s *pipelineState, envIdx int, want githubapi.EnvironmentSettings) (*githubapi.Environment, error) {
	p := s.p
	got, err := s.gh.PutEnvironment(ctx, p.Spec.Repository.Owner, p.Spec.Repository.Name, want)
	if err == nil || want.CanAdminsBypass == nil || !githubapi.IsUnpermittedKey(err, adminBypassKey) {
		return got, err
	}
	if !p.Spec.GitHub.AcceptUnenforcedAdminBypass {
		return nil, &stallingError{reason: civ1alpha1.AdminBypassUnsupportedReason, local: true, err: err,
			msg: fmt.Sprintf("environment %s (spec.environments[%d]) of %s: %s; the operator cannot forbid repository administrators to bypass its reviewers, so no production credential is pushed to it: upgrade GitHub Enterprise Server, or set spec.github.acceptUnenforcedAdminBypass: true to accept the risk",
				want.Name, envIdx, p.RepositoryFullName(), adminBypassRefusal(err))}
	}
	s.noteUnenforced(want.Name)
	want.CanAdminsBypass = nil
	return s.gh.PutEnvironment(ctx, p.Spec.Repository.Owner, p.Spec.Repository.Name, want)
}

// adminBypassRefusal describes the server's refusal without repeating the client's prefixes.
func adminBypassRefusal(err error) string {
	return "the GitHub server refused " + adminBypassKey + " (" + causeOf(err).Error() + ")"
}

func (s *pipelineState) noteUnenforced(env string) {
	if s.adminBypassUnenforced == nil {
		s.adminBypassUnenforced = map[string]bool{}
	}
	s.adminBypassUnenforced[strings.ToLower(env)] = true
}

// gateFailure marks a failed write of an environment that holds production-tier credentials as one that
// must show at once: its gate may be broken on GitHub (reviewers removed, bypass allowed) while the
// credential sits in it, so neither EnvironmentsReady nor Ready may stay True over it.
func gateFailure(p *civ1alpha1.SecurePipeline, env string, err error) error {
	if err == nil || !p.Spec.HoldsProductionCredentials(env) {
		return err
	}
	if _, ok := asStalling(err); ok {
		return err
	}
	if w, ok := asWaiting(err); ok {
		return ungraceful(&waitingError{reason: civ1alpha1.EnvironmentNotGatedReason, after: w.after, err: err,
			msg: w.msg + "; the environment holds production credentials and may not be gated on GitHub"})
	}
	return ungraceful(&waitingError{reason: civ1alpha1.EnvironmentNotGatedReason, after: notGatedRetry, err: err,
		msg: err.Error() + "; the environment holds production credentials and may not be gated on GitHub"})
}

// gateProblems says what keeps an environment as GitHub holds it from gating a production credential.
// unsupported is set when the server does not report can_admins_bypass at all.
func gateProblems(have *githubapi.Environment) (problems []string, unsupported bool) {
	if len(have.Reviewers) == 0 {
		problems = append(problems, "has no required reviewers on GitHub")
	} else if !have.PreventSelfReview {
		problems = append(problems, "lets the person who triggered a deployment approve it (prevent_self_review is off on GitHub)")
	}
	switch {
	case have.CanAdminsBypass == nil:
		unsupported = true
	case *have.CanAdminsBypass:
		problems = append(problems, "lets repository administrators bypass its reviewers (can_admins_bypass is on on GitHub)")
	}
	return problems, unsupported
}

// environmentNotes is the EnvironmentsReady message's tail: look-alike names and environments whose admin
// bypass cannot be enforced. A note new to the condition is also a Warning event.
func (r *SecurePipelineReconciler) environmentNotes(s *pipelineState) string {
	notes := append([]string(nil), s.nameNotes...)
	for _, env := range s.p.Spec.Environments {
		if s.adminBypassUnenforced[strings.ToLower(env.Name)] {
			notes = append(notes, fmt.Sprintf("the GitHub server does not support %s, so repository administrators can deploy to environment %s without approval (accepted by spec.github.acceptUnenforcedAdminBypass)", adminBypassKey, env.Name))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	prev := ""
	if c := apimeta.FindStatusCondition(s.p.Status.Conditions, civ1alpha1.EnvironmentsReadyCondition); c != nil {
		prev = c.Message
	}
	for _, n := range notes {
		if !strings.Contains(prev, n) {
			r.event(s.p, corev1.EventTypeWarning, "EnvironmentNote", "Reconcile", "%s", n)
		}
	}
	return "; note: " + strings.Join(notes, "; ")
}
