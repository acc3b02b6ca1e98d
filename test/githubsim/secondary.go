package githubsim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// GitHub's points-based secondary limit and token-specific ETags, as options so that tests that do not
// ask for them see the simulator as before.

// spent is one admitted request's points.
type spent struct {
	at     time.Time
	points int
}

// requestPoints is what GitHub charges a request against the secondary limit: 1 for GET, HEAD and
// OPTIONS, 5 for anything else.
func requestPoints(method string) int {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 1
	}
	return 5
}

// WithSecondaryPoints turns on GitHub's points-based secondary limit: at most perMinute points per
// identity in any rolling minute (a read 1 point, a write 5, 304 answers included); past it, requests
// are answered 403 with retry-after until enough of the minute has passed. GitHub.com's is about 900.
func WithSecondaryPoints(perMinute int) Option {
	return func(s *Server) { s.pointsPerMinute = perMinute }
}

// WithTokenSpecificETags makes ETags depend on the credential, as GitHub's do (responses say
// Vary: Authorization): an ETag one token got is not a match for another token, so a new token (an App
// installation's hourly one) starts with every read charged.
func WithTokenSpecificETags() Option { return func(s *Server) { s.tokenETags = true } }

// pointsLocked admits a request of points against the rolling minute, or returns the 403 to send.
func (l *limiter) pointsLocked(b *bucket, points int, now time.Time) *reply {
	if l.pointsPerMinute <= 0 {
		return nil
	}
	cut := now.Add(-time.Minute)
	i, total := 0, 0
	for i < len(b.points) && !b.points[i].at.After(cut) {
		i++
	}
	b.points = b.points[i:]
	for _, p := range b.points {
		total += p.points
	}
	if total+points > l.pointsPerMinute {
		// The wait until enough of the oldest points leave the window.
		need, freed := total+points-l.pointsPerMinute, 0
		wait := 1
		for _, p := range b.points {
			freed += p.points
			if freed >= need {
				wait = int(p.at.Add(time.Minute).Sub(now)/time.Second) + 1
				break
			}
		}
		return secondaryLimitReply(wait)
	}
	b.points = append(b.points, spent{at: now, points: points})
	return nil
}

// tokenETag ties an ETag to the credential when WithTokenSpecificETags is on.
func (s *Server) tokenETag(etag, token string) string {
	if !s.tokenETags || etag == "" {
		return etag
	}
	sum := sha256.Sum256([]byte(strings.TrimPrefix(etag, "W/") + "\x00" + token))
	return `W/"` + hex.EncodeToString(sum[:16]) + `"`
}
