package controller

import (
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// conditionRole is what a concern's condition means for Ready: the one place that says so.
type conditionRole struct {
	condition string
	// feedsReady: the condition False makes Ready False, whatever else happened in the run.
	feedsReady bool
	// mustBeKnown: Ready is not True before the condition has been set once.
	mustBeKnown bool
	// optIn: feedsReady and mustBeKnown hold only when the pipeline opts in (readyInput.optedIn).
	optIn bool
}

// counts says whether the row feeds Ready (and must be known) for this pipeline.
func (role conditionRole) counts(in readyInput) bool {
	return !role.optIn || in.optedIn[role.condition]
}

// readinessTable lists every concern condition. Ready is True only when each that feeds it is True.
// The workflow audit's findings are reported, not a failure of the operator (the repository still
// matches the spec); an overdue rotation leaves a working credential on GitHub.
var readinessTable = []conditionRole{
	{condition: civ1alpha1.RepositorySettingsReadyCondition, feedsReady: true, mustBeKnown: true},
	{condition: civ1alpha1.EnvironmentsReadyCondition, feedsReady: true, mustBeKnown: true},
	{condition: civ1alpha1.CredentialsReadyCondition, feedsReady: true, mustBeKnown: true},
	{condition: civ1alpha1.DCOEnforcedCondition, feedsReady: true, mustBeKnown: true},
	{condition: civ1alpha1.WorkflowsCompliantCondition, mustBeKnown: true},
	{condition: civ1alpha1.CredentialsRotatedCondition},
	// Release verification is reported on its own unless spec.releaseVerification.affectsReady.
	{condition: civ1alpha1.ReleasesVerifiedCondition, feedsReady: true, mustBeKnown: true, optIn: true},
}

// readyInput is what computeReady decides from: the concern conditions as this run left them, and the
// run's first error of each kind.
type readyInput struct {
	conditions []metav1.Condition
	stalled    *stallingError
	transient  error
	// graceful: the transient failure is within transientGrace and may leave a True Ready as it is.
	graceful bool
	waiting  *waitingError
	// readyWasTrue: Ready was True before this run.
	readyWasTrue bool
	// optedIn are the optIn rows this pipeline opts into.
	optedIn    map[string]bool
	repository string
	generation int64
}

// readyOutcome is Ready's new value; keep means Ready stays as it was.
type readyOutcome struct {
	keep    bool
	status  metav1.ConditionStatus
	reason  string
	message string
}

// computeReady is the one function that decides Ready.
func computeReady(in readyInput) readyOutcome {
	if in.stalled != nil {
		return readyOutcome{status: metav1.ConditionFalse, reason: in.stalled.reason, message: in.stalled.msg}
	}
	for _, role := range readinessTable {
		c := apimeta.FindStatusCondition(in.conditions, role.condition)
		if role.feedsReady && role.counts(in) && c != nil && c.Status == metav1.ConditionFalse {
			return readyOutcome{status: metav1.ConditionFalse, reason: c.Reason, message: c.Message}
		}
	}
	switch {
	case in.transient != nil:
		if in.readyWasTrue && in.graceful {
			return readyOutcome{keep: true}
		}
		return readyOutcome{status: metav1.ConditionFalse, reason: civ1alpha1.GitHubUnavailableReason, message: in.transient.Error()}
	case in.waiting != nil:
		if in.readyWasTrue {
			return readyOutcome{keep: true}
		}
		// Waiting for work in progress (not for GitHub) is not a failure: Ready is not known yet.
		status := metav1.ConditionFalse
		if in.waiting.reason == civ1alpha1.ProgressingReason {
			status = metav1.ConditionUnknown
		}
		return readyOutcome{status: status, reason: in.waiting.reason, message: in.waiting.msg}
	}
	for _, role := range readinessTable {
		c := apimeta.FindStatusCondition(in.conditions, role.condition)
		if role.mustBeKnown && role.counts(in) && (c == nil || c.Status == metav1.ConditionUnknown) {
			return readyOutcome{status: metav1.ConditionUnknown, reason: civ1alpha1.ProgressingReason, message: role.condition + " is not known yet"}
		}
	}
	return readyOutcome{status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason,
		message: fmt.Sprintf("GitHub repository %s matches generation %d", in.repository, in.generation)}
}
