package github

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// GitHub's secondary rate limit for REST is counted in points per minute per identity: a GET (or HEAD,
// or OPTIONS) costs 1 point, anything else 5, and 304 answers count like any other GET. Past about 900
// points in a minute GitHub answers 403 with retry-after. The budget below keeps each identity inside
// that, whatever the size of the fleet sharing it, and spreads the hourly primary budget over the hour.
const (
	// DefaultPointsPerMinute is GitHub.com's REST secondary limit. GitHub Enterprise Server and some
	// App installations differ; --github-points-per-minute sets it.
	DefaultPointsPerMinute = 900
	readPoints             = 1
	writePoints            = 5

	// burstShare of the per-minute budget may be spent at once; the rest refills evenly, less
	// marginShare, so that no rolling minute GitHub sees holds more than the budget: points are taken
	// when a request is let through but GitHub counts them when it arrives, after the identity's
	// one-at-a-time turn, and requests taken over a few seconds can arrive together. (A 1,000-repository
	// rotation with no margin met 55 secondary-limit 403s.)
	burstShare  = 0.1
	marginShare = 0.05

	// primaryBurstShare of the hourly primary budget may run ahead of an even spread over the hour.
	primaryBurstShare = 0.05
)

// Priority orders requests waiting for an identity's budget.
type Priority int

const (
	// PriorityRoutine is a periodic resync's reads: they wait behind everything else.
	PriorityRoutine Priority = iota
	// PriorityUrgent is a change to GitHub (a rotated credential, a reverted drift) and what it needs.
	PriorityUrgent
)

type priorityKey struct{}

// WithPriority marks the GitHub requests made with ctx. Writes are urgent whatever ctx says.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

func priorityOf(req *http.Request) Priority {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return PriorityUrgent
	}
	if p, ok := req.Context().Value(priorityKey{}).(Priority); ok {
		return p
	}
	return PriorityRoutine
}

// requestPoints is what a request costs against the secondary limit.
func requestPoints(method string) float64 {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return readPoints
	}
	return writePoints
}

// budget is one identity's request budget: a token bucket of secondary-limit points shared by every
// pipeline using the identity, urgent requests served first, and a pace for the primary (hourly)
// budget from the last x-ratelimit-* headers.
type budget struct {
	perMinute float64
	now       func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
	// urgentWaiting counts urgent requests waiting: routine ones let them pass.
	urgentWaiting int
	waiting       int
	// The primary window as GitHub last reported it, and the charged requests sent since.
	limit, remaining int
	reset            time.Time
	chargedSince     int
}

func newBudget(perMinute int, now func() time.Time) *budget {
	if perMinute <= 0 {
		perMinute = DefaultPointsPerMinute
	}
	b := &budget{perMinute: float64(perMinute), now: now}
	b.tokens = b.capacity()
	b.last = now()
	return b
}

func (b *budget) capacity() float64 { return b.perMinute * burstShare }

// rate is the refill in points per second.
func (b *budget) rate() float64 { return b.perMinute * (1 - burstShare - marginShare) / 60 }

// reserveLocked takes pts now and returns 0, or returns how long to wait before asking again.
// charged says whether the request will count against the primary budget (no cached ETag).
func (b *budget) reserveLocked(now time.Time, pts float64, p Priority, charged bool) time.Duration {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.capacity(), b.tokens+dt*b.rate())
		b.last = now
	}
	if p == PriorityRoutine && b.urgentWaiting > 0 {
		return 20 * time.Millisecond
	}
	if b.tokens < pts {
		// At least a millisecond: a wait that rounds to zero would read as a grant.
		return max(time.Millisecond, time.Duration((pts-b.tokens)/b.rate()*float64(time.Second)))
	}
	if charged && p == PriorityRoutine {
		if w := b.primaryWaitLocked(now); w > 0 {
			return w
		}
	}
	b.tokens -= pts
	if charged {
		b.chargedSince++
	}
	return 0
}

// primaryWaitLocked paces charged routine requests so that the primary budget lasts the hour: once half
// of it is spent, by a point of the window at most that share of the limit (plus a small burst) may be
// used. The first half is not paced, so a cold start or a new leader's first round is not slowed while
// the budget is plentiful.
func (b *budget) primaryWaitLocked(now time.Time) time.Duration {
	if b.limit <= 0 || !now.Before(b.reset) || b.remaining-b.chargedSince > b.limit/2 {
		return 0
	}
	start := b.reset.Add(-time.Hour)
	if now.Before(start) {
		return 0 // our clock and GitHub's disagree: do not guess
	}
	elapsed := now.Sub(start)
	allowed := float64(b.limit)*(float64(elapsed)/float64(time.Hour)) + float64(b.limit)*primaryBurstShare
	used := float64(b.limit-b.remaining+b.chargedSince) + 1
	if used <= allowed {
		return 0
	}
	return time.Duration((used - allowed) / float64(b.limit) * float64(time.Hour))
}

// observe records the primary window from an answer's x-ratelimit-* headers.
func (b *budget) observe(h http.Header) {
	r := parseRate(h)
	if !r.ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.limit, b.remaining, b.reset, b.chargedSince = r.limit, r.remaining, r.reset, 0
}

// take waits until the request may go, or ctx ends. It reports how long it waited.
func (b *budget) take(ctx context.Context, pts float64, p Priority, charged bool) (time.Duration, error) {
	start := b.now()
	b.mu.Lock()
	b.waiting++
	if p == PriorityUrgent {
		b.urgentWaiting++
	}
	defer func() {
		b.waiting--
		if p == PriorityUrgent {
			b.urgentWaiting--
		}
		b.mu.Unlock()
	}()
	for {
		wait := b.reserveLocked(b.now(), pts, p, charged)
		if wait <= 0 {
			return b.now().Sub(start), nil
		}
		b.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			b.mu.Lock()
			return b.now().Sub(start), ctx.Err()
		}
		b.mu.Lock()
	}
}

// queueDepth is how many requests wait for the budget.
func (b *budget) queueDepth() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}

// Budget metrics.
const (
	// MetricPointsSpent counts secondary-limit points spent per identity (a GET 1, a write 5).
	MetricPointsSpent = "securepipeline_github_points_total"
	// MetricBudgetWaited counts seconds requests waited for their identity's budget.
	MetricBudgetWaited = "securepipeline_github_budget_wait_seconds_total"
	// MetricBudgetQueue is how many requests wait for their identity's budget now.
	MetricBudgetQueue = "securepipeline_github_budget_queue_depth"
)

type budgetMetrics struct {
	points *prometheus.CounterVec
	waited *prometheus.CounterVec
	queue  *prometheus.GaugeVec
}

func newBudgetMetrics(reg prometheus.Registerer) (*budgetMetrics, error) {
	byIdentity := []string{"identity"}
	m := &budgetMetrics{
		points: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricPointsSpent,
			Help: "GitHub secondary-rate-limit points spent per credentials identity (GET 1, write 5, 304s included)."},
			byIdentity),
		waited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricBudgetWaited,
			Help: "Seconds GitHub requests waited for their identity's request budget."}, byIdentity),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricBudgetQueue,
			Help: "GitHub requests waiting for their identity's request budget."}, byIdentity),
	}
	var err error
	if m.points, err = register(reg, m.points); err != nil {
		return nil, err
	}
	if m.waited, err = register(reg, m.waited); err != nil {
		return nil, err
	}
	if m.queue, err = register(reg, m.queue); err != nil {
		return nil, err
	}
	return m, nil
}

// spend waits for req's turn in the identity's budget and records it. A request that has a cached ETag
// is expected to be a free 304 for the primary budget.
func (t *apiTransport) spend(req *http.Request, conditional bool) error {
	if t.budget == nil {
		return nil
	}
	pts := requestPoints(req.Method)
	charged := req.Method != http.MethodGet || !conditional
	if t.budgetMetrics != nil {
		t.budgetMetrics.queue.WithLabelValues(t.id.label).Set(float64(t.budget.queueDepth() + 1))
	}
	waited, err := t.budget.take(req.Context(), pts, priorityOf(req), charged)
	if t.budgetMetrics != nil {
		t.budgetMetrics.queue.WithLabelValues(t.id.label).Set(float64(t.budget.queueDepth()))
		t.budgetMetrics.waited.WithLabelValues(t.id.label).Add(waited.Seconds())
		if err == nil {
			t.budgetMetrics.points.WithLabelValues(t.id.label).Add(pts)
		}
	}
	return err
}
