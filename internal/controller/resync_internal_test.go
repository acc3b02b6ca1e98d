package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

func TestJittered(t *testing.T) {
	g := NewWithT(t)
	for _, tc := range []struct {
		u    float64
		want time.Duration
	}{
		{0, 9 * time.Minute},
		{0.5, 10 * time.Minute},
		{0.75, 10*time.Minute + 30*time.Second},
		{0.999999, 11 * time.Minute},
	} {
		g.Expect(jittered(10*time.Minute, 0.1, tc.u)).To(BeNumerically("~", tc.want, time.Second), "u=%v", tc.u)
	}
	// Many resyncs spread over the whole ±10% window rather than bunching.
	lo, hi := time.Hour, time.Duration(0)
	for range 1000 {
		d := resyncAfter(10 * time.Minute)
		lo, hi = min(lo, d), max(hi, d)
	}
	g.Expect(lo).To(BeNumerically(">=", 9*time.Minute))
	g.Expect(hi).To(BeNumerically("<=", 11*time.Minute))
	g.Expect(hi - lo).To(BeNumerically(">", 100*time.Second))
}

func TestStatusNeedsWrite(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { v := metav1.NewTime(t0.Add(d)); return &v }
	ready := func(msg string) []metav1.Condition {
		return []metav1.Condition{{Type: civ1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: msg}}
	}
	for _, tc := range []struct {
		name     string
		base, p  civ1alpha1.SecurePipelineStatus
		write    bool
		syncTime *metav1.Time
	}{
		{"unchanged, sync time 10m newer: no write, old time kept",
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(0)},
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(10 * time.Minute)}, false, at(0)},
		{"unchanged, sync time an hour newer: written",
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(0)},
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(time.Hour)}, true, at(time.Hour)},
		{"a condition changed: written with the fresh time",
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(0)},
			civ1alpha1.SecurePipelineStatus{Conditions: ready("reverted drift"), LastSyncTime: at(time.Minute)}, true, at(time.Minute)},
		{"first sync: written",
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok")},
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(0)}, true, at(0)},
		{"a failed run keeps the time and changes a condition: written",
			civ1alpha1.SecurePipelineStatus{Conditions: ready("ok"), LastSyncTime: at(0)},
			civ1alpha1.SecurePipelineStatus{Conditions: ready("GitHub down"), LastSyncTime: at(0)}, true, at(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			base := &civ1alpha1.SecurePipeline{Status: tc.base}
			p := &civ1alpha1.SecurePipeline{Status: tc.p}
			g.Expect(statusNeedsWrite(base, p)).To(Equal(tc.write))
			g.Expect(p.Status.LastSyncTime).To(Equal(tc.syncTime))
		})
	}
}
