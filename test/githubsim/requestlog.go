package githubsim

import (
	"sync"
)

// maxLogged bounds the request log so a long-running githubsim command does
// not grow without limit; counts are kept for every request regardless.
const maxLogged = 100000

// requestLog records GitHub API requests (not admin ones) with its own lock.
type requestLog struct {
	mu      sync.Mutex
	records []RequestRecord
	counts  map[string]int
}

func newRequestLog() *requestLog { return &requestLog{counts: map[string]int{}} }

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) >= maxLogged {
		l.records = append(l.records[:0:0], l.records[len(l.records)/2:]...)
	}
	l.records = append(l.records, r)
	key := r.Route
	if key == "" {
		key = r.Method + " (unmatched)"
	}
	l.counts[key]++
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]RequestRecord(nil), s.log.records...)
}

// RequestCounts returns how many requests each route received since the
// last ResetRequests, keyed like RequestRecord.Route ("METHOD template");
// unmatched requests count under "METHOD (unmatched)".
func (s *Server) RequestCounts() map[string]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make(map[string]int, len(s.log.counts))
	for k, v := range s.log.counts {
		out[k] = v
	}
	return out
}

// ResetRequests empties the request log and the counts.
func (s *Server) ResetRequests() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.records = nil
	s.log.counts = map[string]int{}
}
