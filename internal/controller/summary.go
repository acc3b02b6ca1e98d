package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// runOutcome collects what one reconcile found, for summarize.
type runOutcome struct {
	suspended bool
	changed   bool
	// credentialsOnly: the run did the credentials concern only (credentials_only.go).
	credentialsOnly bool
	// failures maps a concern's condition to its error; "" is an error of the whole pipeline
	// (connection, ownership, repository).
	failures map[string]error
	order    []string
	// The first error of each kind.
	stalled   *stallingError
	waiting   *waitingError
	transient error
	// transientCount is how many transient failures in a row this pipeline has had.
	transientCount int
}

func (o *runOutcome) fail(condition string, err error) {
	if o.failures == nil {
		o.failures = map[string]error{}
	}
	o.failures[condition] = err
	o.order = append(o.order, condition)
	if st, ok := asStalling(err); ok {
		if o.stalled == nil {
			o.stalled = st
		}
		return
	}
	if w, ok := asWaiting(err); ok {
		if o.waiting == nil {
			o.waiting = w
		}
		return
	}
	if o.transient == nil {
		o.transient = err
	}
}

// isTransient says whether err is retried with backoff: neither stalling nor waiting.
func isTransient(err error) bool {
	if _, ok := asStalling(err); ok {
		return false
	}
	_, ok := asWaiting(err)
	return !ok
}

// isRateLimited says whether err waits for GitHub's rate limit: what was True before stays True meanwhile
// (Reconciling says why nothing happens), since nothing on GitHub changed.
func isRateLimited(err error) bool {
	w, ok := asWaiting(err)
	return ok && w.reason == civ1alpha1.RateLimitedReason
}

// inProgress says whether err only waits for work in progress, not for GitHub: no attempt failed.
func inProgress(err error) bool {
	w, ok := asWaiting(err)
	return ok && w.reason == civ1alpha1.ProgressingReason
}

// reasonOf is the condition reason for an error.
func reasonOf(err error) string {
	if st, ok := asStalling(err); ok {
		return st.reason
	}
	if w, ok := asWaiting(err); ok {
		return w.reason
	}
	return civ1alpha1.GitHubUnavailableReason
}

// summarize is the one place that computes Ready, Reconciling and Stalled, the failed concerns'
// conditions, observedGeneration and lastSyncTime.
func (r *SecurePipelineReconciler) summarize(p *civ1alpha1.SecurePipeline, o *runOutcome) {
	gen := p.Generation
	set := func(t string, status metav1.ConditionStatus, reason, msg string) {
		apimeta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: truncate(msg), ObservedGeneration: gen,
		})
	}
	ready := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition)
	readyTrue := ready != nil && ready.Status == metav1.ConditionTrue

	if o.suspended {
		status := metav1.ConditionUnknown
		if ready != nil {
			status = ready.Status
		}
		set(civ1alpha1.ReadyCondition, status, civ1alpha1.SuspendedReason,
			"spec.suspend is true: the operator neither reads nor writes GitHub for this pipeline")
		apimeta.RemoveStatusCondition(&p.Status.Conditions, civ1alpha1.ReconcilingCondition)
		p.Status.ObservedGeneration = gen
		if v, ok := p.Annotations[civ1alpha1.ReconcileRequestAnnotation]; ok {
			p.Status.LastHandledReconcileAt = v
		}
		return
	}

	// Each failed concern's own condition; a failure of the whole pipeline (connection, ownership,
	// repository) is every concern's, since none could make its attempt. A transient failure keeps a True
	// condition for a grace of a few attempts, so that one 502 does not flip the pipeline to not-ready, and
	// a rate limit keeps it while waiting, unless the failure must show at once (isUngraceful).
	graceful := o.transient != nil && o.transientCount < transientGrace
	for _, cond := range o.order {
		err := o.failures[cond]
		if inProgress(err) {
			continue // not a failed attempt: work the pipeline waits for (e.g. a first proof of access settling)
		}
		targets := []string{cond}
		if cond == "" {
			targets = targets[:0]
			for _, role := range readinessTable {
				targets = append(targets, role.condition)
			}
		}
		for _, t := range targets {
			if c := apimeta.FindStatusCondition(p.Status.Conditions, t); c != nil && c.Status == metav1.ConditionTrue &&
				((graceful && isTransient(err)) || isRateLimited(err)) && !isUngraceful(err) {
				continue
			}
			set(t, metav1.ConditionFalse, reasonOf(err), err.Error())
		}
	}

	switch {
	case o.stalled != nil:
		set(civ1alpha1.StalledCondition, metav1.ConditionTrue, o.stalled.reason, o.stalled.msg)
	default:
		apimeta.RemoveStatusCondition(&p.Status.Conditions, civ1alpha1.StalledCondition)
	}

	switch {
	case o.transient != nil:
		set(civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, civ1alpha1.GitHubUnavailableReason,
			fmt.Sprintf("retrying with backoff after attempt %d failed: %v", o.transientCount, o.transient))
	case o.waiting != nil:
		set(civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, o.waiting.reason, o.waiting.msg)
	default:
		apimeta.RemoveStatusCondition(&p.Status.Conditions, civ1alpha1.ReconcilingCondition)
	}

	if out := computeReady(readyInput{
		conditions: p.Status.Conditions, stalled: o.stalled, transient: o.transient, graceful: graceful,
		waiting: o.waiting, readyWasTrue: readyTrue, repository: p.RepositoryFullName(), generation: gen,
		optedIn: map[string]bool{civ1alpha1.ReleasesVerifiedCondition: releasesAffectReady(p)},
	}); !out.keep {
		set(civ1alpha1.ReadyCondition, out.status, out.reason, out.message)
	}

	// observedGeneration says "the status describes this spec": only after a run that finished,
	// successfully or stalled, not one cut short by a blip or a rate limit.
	if o.transient == nil && o.waiting == nil {
		p.Status.ObservedGeneration = gen
		if v, ok := p.Annotations[civ1alpha1.ReconcileRequestAnnotation]; ok {
			p.Status.LastHandledReconcileAt = v
		}
	}
	if len(o.failures) == 0 && !o.credentialsOnly {
		now := metav1.NewTime(r.Now())
		p.Status.LastSyncTime = &now
	}
}

// setCondition records a concern's outcome.
func setCondition(p *civ1alpha1.SecurePipeline, t string, status metav1.ConditionStatus, reason, msg string) {
	apimeta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
		Type: t, Status: status, Reason: reason, Message: truncate(msg), ObservedGeneration: p.Generation,
	})
}

// emitTransitions records events when Ready or Stalled change.
func (r *SecurePipelineReconciler) emitTransitions(p, before *civ1alpha1.SecurePipeline) {
	was := apimeta.FindStatusCondition(before.Status.Conditions, civ1alpha1.ReadyCondition)
	now := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition)
	if now != nil && (was == nil || was.Status != now.Status || was.Reason != now.Reason) {
		switch now.Status {
		case metav1.ConditionTrue:
			r.event(p, corev1.EventTypeNormal, "Ready", "Reconcile", "%s", now.Message)
		case metav1.ConditionFalse:
			r.event(p, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
		}
	}
}

// truncate keeps condition messages within the API's limit.
func truncate(s string) string {
	const limit = 32000
	if len(s) > limit {
		return s[:limit-3] + "..."
	}
	return s
}
