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

	// Each failed concern's own condition. A transient failure keeps a True condition for a grace
	// of a few attempts, so that one 502 does not flip the pipeline to not-ready.
	graceful := o.transient != nil && o.transientCount < transientGrace
	for _, cond := range o.order {
		err := o.failures[cond]
		if cond == "" {
			continue
		}
		if c := apimeta.FindStatusCondition(p.Status.Conditions, cond); graceful && c != nil && c.Status == metav1.ConditionTrue && err == o.transient {
			continue
		}
		set(cond, metav1.ConditionFalse, reasonOf(err), err.Error())
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

	switch {
	case o.stalled != nil:
		set(civ1alpha1.ReadyCondition, metav1.ConditionFalse, o.stalled.reason, o.stalled.msg)
	case o.transient != nil:
		if !readyTrue || !graceful {
			set(civ1alpha1.ReadyCondition, metav1.ConditionFalse, civ1alpha1.GitHubUnavailableReason, o.transient.Error())
		}
	case o.waiting != nil:
		if !readyTrue {
			// Waiting for work in progress (not for GitHub) is not a failure: Ready is not known yet.
			status := metav1.ConditionFalse
			if o.waiting.reason == civ1alpha1.ProgressingReason {
				status = metav1.ConditionUnknown
			}
			set(civ1alpha1.ReadyCondition, status, o.waiting.reason, o.waiting.msg)
		}
	default:
		r.summarizeConcerns(p, set)
	}

	// observedGeneration says "the status describes this spec": only after a run that finished,
	// successfully or stalled, not one cut short by a blip or a rate limit.
	if o.transient == nil && o.waiting == nil {
		p.Status.ObservedGeneration = gen
		if v, ok := p.Annotations[civ1alpha1.ReconcileRequestAnnotation]; ok {
			p.Status.LastHandledReconcileAt = v
		}
	}
	if len(o.failures) == 0 {
		now := metav1.NewTime(r.Now())
		p.Status.LastSyncTime = &now
	}
}

// summarizeConcerns sets Ready from the concerns' conditions after a run without errors.
func (r *SecurePipelineReconciler) summarizeConcerns(p *civ1alpha1.SecurePipeline, set func(string, metav1.ConditionStatus, string, string)) {
	for _, c := range r.concerns() {
		if c.condition == civ1alpha1.ReleasesVerifiedCondition && !releasesAffectReady(p) {
			continue // reported on its own unless spec.releaseVerification.affectsReady
		}
		cond := apimeta.FindStatusCondition(p.Status.Conditions, c.condition)
		if cond == nil || cond.Status == metav1.ConditionUnknown {
			set(civ1alpha1.ReadyCondition, metav1.ConditionUnknown, civ1alpha1.ProgressingReason,
				c.condition+" is not known yet")
			return
		}
		if cond.Status == metav1.ConditionFalse && c.condition != civ1alpha1.WorkflowsCompliantCondition {
			set(civ1alpha1.ReadyCondition, metav1.ConditionFalse, cond.Reason, cond.Message)
			return
		}
	}
	set(civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason,
		fmt.Sprintf("GitHub repository %s matches generation %d", p.RepositoryFullName(), p.Generation))
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
