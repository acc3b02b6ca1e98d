package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// A remembered audit skips the next runs only while the status shows it; a status write that was lost
// (an optimistic-lock conflict) must not leave WorkflowsCompliant missing until the next interval.
func TestAuditInStatus(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 500_000_000, time.UTC)
	audited := &auditResult{at: at, generation: 2}
	pipeline := func(cond *metav1.Condition, last *time.Time) *civ1alpha1.SecurePipeline {
		p := &civ1alpha1.SecurePipeline{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
		if cond != nil {
			p.Status.Conditions = []metav1.Condition{*cond}
		}
		if last != nil {
			// The API server keeps seconds: the status's time is the audit's, truncated.
			p.Status.LastAuditTime = &metav1.Time{Time: last.Truncate(time.Second)}
		}
		return p
	}
	compliant := func(gen int64) *metav1.Condition {
		return &metav1.Condition{Type: civ1alpha1.WorkflowsCompliantCondition, Status: metav1.ConditionTrue,
			Reason: civ1alpha1.SucceededReason, ObservedGeneration: gen}
	}
	findings := &metav1.Condition{Type: civ1alpha1.WorkflowsCompliantCondition, Status: metav1.ConditionFalse,
		Reason: civ1alpha1.FindingsReason, ObservedGeneration: 2}
	revoked := &metav1.Condition{Type: civ1alpha1.WorkflowsCompliantCondition, Status: metav1.ConditionFalse,
		Reason: civ1alpha1.AuthenticationFailedReason, ObservedGeneration: 2}
	earlier := at.Add(-time.Hour)
	for _, tc := range []struct {
		name string
		p    *civ1alpha1.SecurePipeline
		want bool
	}{
		{"the status shows the audit", pipeline(compliant(2), &at), true},
		{"the status shows the audit's findings", pipeline(findings, &at), true},
		{"a failure of the whole pipeline replaced the condition since", pipeline(revoked, &at), false},
		{"the status write was lost: no condition yet", pipeline(nil, nil), false},
		{"the status write was lost: an earlier audit's time", pipeline(compliant(2), &earlier), false},
		{"the condition is of an older generation", pipeline(compliant(1), &at), false},
		{"no audit time in the status", pipeline(compliant(2), nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := auditInStatus(tc.p, audited); got != tc.want {
				t.Fatalf("auditInStatus = %v, want %v", got, tc.want)
			}
		})
	}
}
