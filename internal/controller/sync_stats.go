package controller

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// MetricEffectiveSyncPeriod is how long periodic resyncs of an identity's pipelines actually take to
// come round: --sync-period while the identity's request budget keeps up, longer when the fleet needs
// more than the budget and resyncs stretch.
const MetricEffectiveSyncPeriod = "securepipeline_effective_sync_period_seconds"

// SyncStats measures the effective sync period per GitHub identity, shared by the pipeline reconciler
// (which observes) and the set reconciler (which reports it in status).
type SyncStats struct {
	gauge *prometheus.GaugeVec

	mu sync.Mutex
	// last is when each pipeline's last run started.
	last map[types.UID]time.Time
	// period is a moving average of the gaps between periodic runs, per identity.
	period map[string]time.Duration
}

// NewSyncStats registers the metric with reg (controller-runtime's registry when nil); registering
// twice shares the collector.
func NewSyncStats(reg prometheus.Registerer) *SyncStats {
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricEffectiveSyncPeriod,
		Help: "Seconds between periodic resyncs of a GitHub identity's pipelines, as they happen (moving average)."},
		[]string{"identity"})
	if err := reg.Register(g); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
				g = existing
			}
		}
	}
	return &SyncStats{gauge: g, last: map[types.UID]time.Time{}, period: map[string]time.Duration{}}
}

// observe records that a pipeline's run started at now. Gaps shorter than half the configured period
// are runs something else asked for (a spec or Secret change), not the periodic resync, and do not count.
func (s *SyncStats) observe(uid types.UID, identity string, now time.Time, configured time.Duration) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.last[uid]
	s.last[uid] = now
	gap := now.Sub(prev)
	if prev.IsZero() || gap < configured/2 {
		return
	}
	if cur, ok := s.period[identity]; ok {
		gap = (cur*4 + gap) / 5
	}
	s.period[identity] = gap
	s.gauge.WithLabelValues(identity).Set(gap.Seconds())
}

// forget drops a deleted pipeline.
func (s *SyncStats) forget(uid types.UID) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, uid)
}

// Effective is the identity's effective sync period, or 0 when none was measured yet.
func (s *SyncStats) Effective(identity string) time.Duration {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.period[identity]
}
