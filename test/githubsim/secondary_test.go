package githubsim

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestSecondaryPoints(t *testing.T) {
	g := NewWithT(t)
	clock := clocktesting.NewFakeClock(time.Now())
	f := newFixture(t, WithSecondaryPoints(20), WithClock(clock.Now))
	s := f.sim
	url := s.URL() + "repos/acme/widgets"
	// 3 writes (15 points) and 5 reads fill the minute; the next read is refused with retry-after.
	for range 3 {
		g.Expect(do(t, nil, "PATCH", url, tokAdmin, map[string]any{"web_commit_signoff_required": true}).Status).To(Equal(200))
	}
	for range 5 {
		g.Expect(do(t, nil, "GET", url, tokAdmin, nil).Status).To(Equal(200))
	}
	refused := do(t, nil, "GET", url, tokAdmin, nil)
	g.Expect(refused.Status).To(Equal(403))
	g.Expect(refused.Header.Get("Retry-After")).To(Equal("61"))
	// Another identity has its own points.
	g.Expect(do(t, nil, "GET", url, tokRead, nil).Status).To(Equal(200))
	// A 304 costs a point too.
	clock.Step(61 * time.Second)
	first := do(t, nil, "GET", url, tokRead, nil)
	for range 19 {
		g.Expect(do(t, nil, "GET", url, tokRead, nil, "If-None-Match", first.Header.Get("ETag")).Status).To(Equal(304))
	}
	g.Expect(do(t, nil, "GET", url, tokRead, nil, "If-None-Match", first.Header.Get("ETag")).Status).To(Equal(403))
	g.Expect(do(t, nil, "GET", url, tokAdmin, nil).Status).To(Equal(200),
		"a minute later the first token's points are back")
}

func TestTokenSpecificETags(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, WithTokenSpecificETags())
	url := f.sim.URL() + "repos/acme/widgets"
	a := do(t, nil, "GET", url, tokAdmin, nil)
	r := do(t, nil, "GET", url, tokRead, nil)
	g.Expect(a.Header.Get("ETag")).NotTo(Equal(r.Header.Get("ETag")))
	g.Expect(do(t, nil, "GET", url, tokAdmin, nil, "If-None-Match", a.Header.Get("ETag")).Status).To(Equal(304))
	g.Expect(do(t, nil, "GET", url, tokRead, nil, "If-None-Match", a.Header.Get("ETag")).Status).To(Equal(200),
		"another token's ETag is not a match")

	// Without the option, two tokens shown the same body get the same ETag.
	plain := newFixture(t)
	plain.sim.AddToken("ghp_admin2", "acme/widgets", "alice/dotfiles")
	purl := plain.sim.URL() + "repos/acme/widgets"
	adminETag := do(t, nil, "GET", purl, tokAdmin, nil).Header.Get("ETag")
	otherETag := do(t, nil, "GET", purl, "ghp_admin2", nil).Header.Get("ETag")
	g.Expect(adminETag).To(Equal(otherETag), "without the option ETags are the body's")
	f.sim.AddToken("ghp_admin2", "acme/widgets", "alice/dotfiles")
	g.Expect(do(t, nil, "GET", url, "ghp_admin2", nil).Header.Get("ETag")).NotTo(Equal(a.Header.Get("ETag")),
		"with it, even the same body gets another ETag for another token")
}
