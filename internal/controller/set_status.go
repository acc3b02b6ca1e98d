package controller

import (
	"fmt"
	"slices"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/fleet"
)

// summarizeSet is the one place that computes a set's status: counts, the bounded lists, and Ready,
// Reconciling and Stalled (kstatus). Ready is True when every selected repository has a Ready child or
// is managed by another pipeline on purpose (ManagedElsewhere); a child that is not Ready is listed
// with its own reason.
func (r *SecurePipelineSetReconciler) summarizeSet(run *setRun) {
	set := run.set
	gen := set.Generation
	cond := func(t string, status metav1.ConditionStatus, reason, msg string) {
		apimeta.SetStatusCondition(&set.Status.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: truncate(msg), ObservedGeneration: gen,
		})
	}

	if run.err != nil {
		reason := reasonOf(run.err)
		msg := run.err.Error()
		if _, stalled := asStalling(run.err); stalled {
			cond(civ1alpha1.StalledCondition, metav1.ConditionTrue, reason, msg)
			apimeta.RemoveStatusCondition(&set.Status.Conditions, civ1alpha1.ReconcilingCondition)
			set.Status.ObservedGeneration = gen
		} else {
			cond(civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, reason, msg)
			apimeta.RemoveStatusCondition(&set.Status.Conditions, civ1alpha1.StalledCondition)
		}
		cond(civ1alpha1.ReadyCondition, metav1.ConditionFalse, reason, msg)
		return
	}
	if !run.synced {
		return
	}
	apimeta.RemoveStatusCondition(&set.Status.Conditions, civ1alpha1.StalledCondition)
	set.Status.ObservedGeneration = gen
	set.Status.Matched = int32(run.matched)
	set.Status.Ready = int32(run.ready)

	slices.SortFunc(run.members, func(a, b civ1alpha1.SetMember) int { return strings.Compare(a.Repository, b.Repository) })
	set.Status.NotReady, set.Status.OmittedNotReady = fleet.Bounded(run.members)
	set.Status.Plan, set.Status.OmittedPlan = nil, 0
	if set.Spec.Suspend {
		slices.SortFunc(run.plan, func(a, b civ1alpha1.PlannedChange) int {
			return strings.Compare(string(a.Action)+"/"+a.Repository, string(b.Action)+"/"+b.Repository)
		})
		set.Status.Plan, set.Status.OmittedPlan = fleet.Bounded(run.plan)
	}

	set.Status.EffectiveSyncPeriod = nil
	stretched := ""
	if eff := r.Stats.Effective(run.listing.identity); eff > 0 {
		set.Status.EffectiveSyncPeriod = &metav1.Duration{Duration: eff.Round(time.Second)}
		if r.SyncPeriod > 0 && eff > r.SyncPeriod*5/4 {
			stretched = fmt.Sprintf("; the GitHub request budget stretches resyncs to every %s (--sync-period %s)",
				eff.Round(time.Second), r.SyncPeriod)
		}
	}

	if run.progressing {
		cond(civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, civ1alpha1.ProgressingReason,
			fmt.Sprintf("%d of %d repositories have a Ready pipeline", run.ready, run.matched))
	} else {
		apimeta.RemoveStatusCondition(&set.Status.Conditions, civ1alpha1.ReconcilingCondition)
	}
	failing := len(run.members) - run.elsewhere
	switch {
	case set.Spec.Suspend:
		// As a suspended pipeline does, keep what Ready said (kstatus reads a suspended object as such).
		status := metav1.ConditionUnknown
		if prev := apimeta.FindStatusCondition(set.Status.Conditions, civ1alpha1.ReadyCondition); prev != nil {
			status = prev.Status
		}
		cond(civ1alpha1.ReadyCondition, status, civ1alpha1.SuspendedReason,
			fmt.Sprintf("suspended (dry run): %d change(s) planned in status.plan; %d of %d repositories have a Ready pipeline",
				len(run.plan), run.ready, run.matched))
	case failing > 0:
		cond(civ1alpha1.ReadyCondition, metav1.ConditionFalse, civ1alpha1.ChildrenNotReadyReason,
			fmt.Sprintf("%d of %d repositories have no Ready pipeline yet (status.notReady says why)", failing, run.matched))
	default:
		msg := fmt.Sprintf("all %d selected repositories have a Ready pipeline", run.matched)
		if run.elsewhere > 0 {
			msg = fmt.Sprintf("%d selected repositories have a Ready pipeline of this set; %d are managed by other pipelines",
				run.ready, run.elsewhere)
		}
		cond(civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason, msg+stretched)
	}
}
