package githubsim

import (
	"sort"
	"sync"
)

// faultTable holds injected faults by route key ("GET /repos/{owner}/{repo}")
// or "*". It has its own lock so that injecting a fault never waits on
// requests, and requests only hold it to pick a fault.
type faultTable struct {
	mu     sync.Mutex
	faults map[string]*faultEntry
}

type faultEntry struct {
	Fault
	// left counts remaining applications when Count > 0.
	left int
}

func newFaultTable() *faultTable { return &faultTable{faults: map[string]*faultEntry{}} }

// take returns the fault to apply to one request on route (an exact route
// fault wins over "*"), consuming one application of a counted fault.
func (t *faultTable) take(route string) Fault {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range []string{route, "*"} {
		f := t.faults[k]
		if f == nil {
			continue
		}
		if f.Count > 0 {
			f.left--
			if f.left <= 0 {
				delete(t.faults, k)
			}
		}
		return f.Fault
	}
	return Fault{}
}

// SetFault injects a fault on route, the template as in RequestRecord.Route
// (e.g. "PUT /repos/{owner}/{repo}/environments/{environment_name}"), or "*"
// for every route without its own fault. It replaces an earlier fault on the
// same route; a zero Fault removes it. See Fault for what each field does.
func (s *Server) SetFault(route string, f Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults.faults, route)
		return
	}
	s.faults.faults[route] = &faultEntry{Fault: f, left: f.Count}
}

// ClearFaults removes all injected faults.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = map[string]*faultEntry{}
}

// FaultInfo is an active fault as reported by Faults.
type FaultInfo struct {
	Route string `json:"route"`
	Fault
	// Remaining is how many more requests a counted fault applies to.
	Remaining int `json:"remaining"`
}

// Faults lists the active faults sorted by route.
func (s *Server) Faults() []FaultInfo {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := []FaultInfo{}
	for k, f := range s.faults.faults {
		out = append(out, FaultInfo{Route: k, Fault: f.Fault, Remaining: f.left})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out
}
