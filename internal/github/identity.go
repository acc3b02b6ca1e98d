package github

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRateLimitFloor is how many primary-rate-limit requests are left for humans and other tools:
// below it, the operator stops until the window resets.
const DefaultRateLimitFloor = 50

// secondaryDefaultWait is GitHub's advice when a secondary limit comes without retry-after: wait a minute.
const secondaryDefaultWait = time.Minute

// identityState is everything tied to one set of credentials at one server, shared by every client built
// from them: the rate-limit state and the ETag cache of what those credentials were shown. It belongs
// to the credentials, not to a client, so rebuilding a client (a new Secret version, even a touched
// label) keeps it.
type identityState struct {
	*limitState
	cache *etagCache
	// budget is the identity's request budget (budget.go), nil when pacing is off.
	budget *budget
}

// limitState is the rate-limit state of one token, or one App key's installation, on one server. It
// holds the one-request-at-a-time slot GitHub asks for and the rate-limit hold. A rotated App key's new
// state inherits the old one's hold, because GitHub limits the installation, whatever key it uses.
type limitState struct {
	// server and label name it in metrics and errors; nothing is looked up by them.
	server, label string
	// slot has capacity 1: holding it is the right to have a request in flight.
	slot chan struct{}

	mu sync.Mutex
	// heldUntil is when requests may resume; zero or past means not held.
	heldUntil time.Time
	secondary bool
}

func newLimitState(server, label string) *limitState {
	return &limitState{server: server, label: label, slot: make(chan struct{}, 1)}
}

// acquire waits for the identity's request slot, or for ctx to end.
func (s *limitState) acquire(ctx context.Context) error {
	select {
	case s.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *limitState) release() { <-s.slot }

// admit returns the *RateLimitError to fail with while a hold lasts, or nil.
func (s *limitState) admit(now time.Time) *RateLimitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.heldUntil) {
		return &RateLimitError{Identity: s.label, RetryAt: s.heldUntil, Secondary: s.secondary}
	}
	return nil
}

// inherit takes over old's hold, if it lasts longer than s's own.
func (s *limitState) inherit(old *limitState) {
	if old == nil || old == s {
		return
	}
	old.mu.Lock()
	until, secondary := old.heldUntil, old.secondary
	old.mu.Unlock()
	_ = s.hold(until, secondary)
}

// hold stops requests until t (keeping a later hold already in place) and returns the error to report.
func (s *limitState) hold(until time.Time, secondary bool) *RateLimitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.heldUntil) {
		s.heldUntil, s.secondary = until, secondary
	}
	return &RateLimitError{Identity: s.label, RetryAt: s.heldUntil, Secondary: s.secondary}
}

// primaryRate is what the x-ratelimit-* headers say; ok is false when they are absent (GHES with rate
// limiting turned off sends none).
type primaryRate struct {
	limit, remaining int
	reset            time.Time
	ok               bool
}

func parseRate(h http.Header) primaryRate {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return primaryRate{}
	}
	r := primaryRate{remaining: rem, ok: true}
	r.limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	if secs, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		r.reset = time.Unix(secs, 0)
	}
	return r
}

// stripRateHeaders removes x-ratelimit-* before go-github sees a response. go-github keeps its own
// rate-limit state and refuses requests by the wall clock, bypassable only with an unexported context
// key; without the headers it never does, so this package's clock-driven hold is the only one.
func stripRateHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "X-Ratelimit-") {
			delete(h, k)
		}
	}
}

// rateLimitAnswer recognises GitHub's rate-limit answers: a 403 or 429 with retry-after or a secondary
// limit message (secondary), or with x-ratelimit-remaining: 0 (primary). It returns when to retry.
func rateLimitAnswer(status int, h http.Header, body []byte, now time.Time) (until time.Time, secondary, ok bool) {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return time.Time{}, false, false
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second), true, true
	}
	if r := parseRate(h); r.ok && r.remaining == 0 {
		if r.reset.After(now) {
			return r.reset, false, true
		}
		return now.Add(secondaryDefaultWait), false, true
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	_ = json.Unmarshal(body, &e)
	if status == http.StatusTooManyRequests ||
		strings.Contains(strings.ToLower(e.Message), "secondary rate limit") ||
		strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") {
		return now.Add(secondaryDefaultWait), true, true
	}
	return time.Time{}, false, false
}
