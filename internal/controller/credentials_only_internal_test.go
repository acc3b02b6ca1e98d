package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

func TestCredentialsOnlyNeedsACleanFullRunOfThisGeneration(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const period = 10 * time.Minute
	pipeline := func(mutate func(*civ1alpha1.SecurePipeline)) *civ1alpha1.SecurePipeline {
		p := &civ1alpha1.SecurePipeline{ObjectMeta: metav1.ObjectMeta{UID: "p", Generation: 3}}
		p.Status.ObservedGeneration = 3
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		record *fullRun // nil: no full run remembered
		p      *civ1alpha1.SecurePipeline
		want   bool
	}{
		{"clean full run, next one not due", &fullRun{generation: 3, next: now.Add(time.Minute)}, pipeline(nil), true},
		{"no full run remembered (a restart, or a failure since)", nil, pipeline(nil), false},
		{"the next full run is due: the push goes first", &fullRun{generation: 3, next: now}, pipeline(nil), true},
		{"the next full run was due less than a sync period ago", &fullRun{generation: 3, next: now.Add(-period + time.Second)}, pipeline(nil), true},
		{"the next full run was due a sync period ago (a Secret that keeps changing)", &fullRun{generation: 3, next: now.Add(-period)}, pipeline(nil), false},
		{"the full run was of an older generation", &fullRun{generation: 2, next: now.Add(time.Minute)},
			pipeline(func(p *civ1alpha1.SecurePipeline) { p.Status.ObservedGeneration = 2 }), false},
		{"the status describes an older generation", &fullRun{generation: 3, next: now.Add(time.Minute)},
			pipeline(func(p *civ1alpha1.SecurePipeline) { p.Status.ObservedGeneration = 2 }), false},
		{"a reconcile was requested", &fullRun{generation: 3, next: now.Add(time.Minute)},
			pipeline(func(p *civ1alpha1.SecurePipeline) {
				p.Annotations = map[string]string{civ1alpha1.ReconcileRequestAnnotation: "2"}
				p.Status.LastHandledReconcileAt = "1"
			}), false},
		{"a requested reconcile already handled", &fullRun{generation: 3, next: now.Add(time.Minute)},
			pipeline(func(p *civ1alpha1.SecurePipeline) {
				p.Annotations = map[string]string{civ1alpha1.ReconcileRequestAnnotation: "2"}
				p.Status.LastHandledReconcileAt = "2"
			}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f fullRuns
			if tc.record != nil {
				f.record(tc.p.UID, tc.record.generation, tc.record.next)
			}
			last, ok := f.take(tc.p.UID)
			got := ok && last.allowsCredentialsOnly(tc.p, now, period)
			if got != tc.want {
				t.Fatalf("credentials-only = %v, want %v", got, tc.want)
			}
			if got && !last.next.Equal(tc.record.next) {
				t.Fatalf("next full run %v, want %v", last.next, tc.record.next)
			}
			// A run takes the full run: the next one finds none unless a clean run put one back.
			if _, ok := f.take(tc.p.UID); ok {
				t.Fatal("the full run is still remembered after a run took it")
			}
			f.record(tc.p.UID, 3, now.Add(time.Minute))
			f.forget(tc.p.UID)
			if _, ok := f.take(tc.p.UID); ok {
				t.Fatal("still remembered after forget")
			}
		})
	}
}
