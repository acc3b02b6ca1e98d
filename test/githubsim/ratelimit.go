package githubsim

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// anonymousLimit is GitHub's hourly budget for unauthenticated requests.
const anonymousLimit = 60

// limiter keeps GitHub's rate limits per credential:
//   - primary: a budget of requests per hour-long window that starts with the
//     window's first request (x-ratelimit-* headers, 403 when exhausted);
//   - secondary: requests in flight at once, and requests per rolling minute
//     (403 with retry-after).
//
// It has its own lock so that rate accounting never waits on the state lock.
type limiter struct {
	mu            sync.Mutex
	maxConcurrent int
	perMinute     int
	// pointsPerMinute is GitHub's points-based secondary limit (secondary.go); 0: off.
	pointsPerMinute int
	// window is the primary limit's window (an hour on GitHub; WithPrimaryRateLimitWindow scales it).
	window  time.Duration
	buckets map[string]*bucket
}

type bucket struct {
	used     int
	reset    time.Time // end of the current primary window
	inflight int
	recent   []time.Time // start times of requests in the last minute, oldest first
	points   []spent     // points of requests in the last minute, oldest first
}

// rateSnapshot is what the x-ratelimit-* headers report.
type rateSnapshot struct {
	Limit, Remaining, Used int
	Reset                  time.Time
	Resource               string
}

func (r *rateSnapshot) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(r.Used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.Reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", r.Resource)
}

func newLimiter(maxConcurrent, perMinute int) *limiter {
	return &limiter{maxConcurrent: maxConcurrent, perMinute: perMinute, window: time.Hour, buckets: map[string]*bucket{}}
}

// bucketLocked returns the key's bucket, starting a new primary window if the
// old one has ended.
func (l *limiter) bucketLocked(key string, now time.Time) *bucket {
	b := l.buckets[key]
	if b == nil {
		b = &bucket{}
		l.buckets[key] = b
	}
	if !now.Before(b.reset) {
		b.used = 0
		b.reset = now.Add(l.window).Truncate(time.Second)
	}
	return b
}

func snapshot(b *bucket, limit int) rateSnapshot {
	return rateSnapshot{Limit: limit, Remaining: max(limit-b.used, 0), Used: b.used, Reset: b.reset, Resource: "core"}
}

// peek reports the key's budget without charging.
func (l *limiter) peek(key string, limit int, now time.Time) rateSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return snapshot(l.bucketLocked(key, now), limit)
}

// begin admits a request: it applies the secondary limits, then reserves one
// unit of the primary budget if charge is set. A non-nil reply is the 403 to
// send instead; the request was then not admitted and end must not be called.
func (l *limiter) begin(key string, limit int, charge bool, points int, now time.Time) (rateSnapshot, *reply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(key, now)
	if rep := l.pointsLocked(b, points, now); rep != nil {
		return snapshot(b, limit), rep
	}
	if l.maxConcurrent > 0 && b.inflight >= l.maxConcurrent {
		return snapshot(b, limit), secondaryLimitReply(1)
	}
	if l.perMinute > 0 {
		cut := now.Add(-time.Minute)
		i := 0
		for i < len(b.recent) && !b.recent[i].After(cut) {
			i++
		}
		b.recent = b.recent[i:]
		if len(b.recent) >= l.perMinute {
			wait := int(b.recent[0].Add(time.Minute).Sub(now)/time.Second) + 1
			return snapshot(b, limit), secondaryLimitReply(wait)
		}
		b.recent = append(b.recent, now)
	}
	if charge && b.used >= limit {
		anonymous := key == "anonymous"
		who := "this token"
		if anonymous {
			who = "127.0.0.1"
		} else if strings.HasPrefix(key, "app:") {
			who = "app " + strings.TrimPrefix(key, "app:")
		}
		return snapshot(b, limit), primaryLimitReply(anonymous, who)
	}
	if charge {
		b.used++
	}
	b.inflight++
	return snapshot(b, limit), nil
}

// end finishes an admitted request; refund gives back the primary unit
// (for 304 Not Modified, which GitHub does not count).
func (l *limiter) end(key string, limit int, refund bool, now time.Time) rateSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(key, now)
	b.inflight--
	if refund && b.used > 0 {
		b.used--
	}
	return snapshot(b, limit)
}

// reset forgets all budgets and windows.
func (l *limiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets = map[string]*bucket{}
}

// ResetRateLimits restores every credential's full primary budget and clears
// the secondary-limit windows.
func (s *Server) ResetRateLimits() { s.limits.reset() }

// getRateLimit serves GET /rate_limit, which GitHub does not count against
// the budget.
func (s *Server) getRateLimit(c *call) *reply {
	id := c.identity()
	snap := s.limits.peek(id.key, id.limit, c.now)
	core := map[string]any{"limit": snap.Limit, "remaining": snap.Remaining, "reset": snap.Reset.Unix(), "used": snap.Used}
	search := map[string]any{"limit": 30, "remaining": 30, "reset": c.now.Add(time.Minute).Unix(), "used": 0}
	return &reply{status: http.StatusOK, body: map[string]any{
		"resources": map[string]any{"core": core, "search": search},
		"rate":      core,
	}}
}
