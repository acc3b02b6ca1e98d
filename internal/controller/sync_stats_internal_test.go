package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
)

func TestSyncStats(t *testing.T) {
	g := NewWithT(t)
	s := NewSyncStats(prometheus.NewRegistry())
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const period = 10 * time.Minute
	g.Expect(s.Effective("token-a")).To(BeZero())

	s.observe("p1", "token-a", t0, period)
	s.observe("p1", "token-a", t0.Add(time.Minute), period) // a Secret change: not the periodic resync
	g.Expect(s.Effective("token-a")).To(BeZero())
	s.observe("p1", "token-a", t0.Add(11*time.Minute), period)
	g.Expect(s.Effective("token-a")).To(Equal(10 * time.Minute))

	// The budget stretches resyncs to 30 minutes: the average follows.
	next := t0.Add(11 * time.Minute)
	for range 20 {
		next = next.Add(30 * time.Minute)
		s.observe("p1", "token-a", next, period)
	}
	g.Expect(s.Effective("token-a")).To(BeNumerically("~", 30*time.Minute, time.Minute))
	g.Expect(s.Effective("token-b")).To(BeZero(), "per identity")

	s.forget("p1")
	s.observe("p1", "token-a", next.Add(time.Hour), period)
	g.Expect(s.Effective("token-a")).To(BeNumerically("~", 30*time.Minute, time.Minute), "a forgotten pipeline starts afresh")
	var nilStats *SyncStats
	nilStats.observe("p", "x", t0, period)
	g.Expect(nilStats.Effective("x")).To(BeZero())
}
