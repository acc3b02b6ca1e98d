package github

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// drive runs a budget on a simulated clock: demand asks for pts at every step, each reservation waits
// as long as the budget says, and grants are recorded. It returns the grant times.
func drive(b *budget, start time.Time, n int, pts float64, p Priority) []time.Time {
	now := start
	var grants []time.Time
	for len(grants) < n {
		b.mu.Lock()
		w := b.reserveLocked(now, pts, p, false)
		b.mu.Unlock()
		if w <= 0 {
			grants = append(grants, now)
			continue
		}
		now = now.Add(w)
	}
	return grants
}

// maxInWindow is the most points granted in any rolling minute.
func maxInWindow(grants []time.Time, pts float64) float64 {
	most, lo := 0.0, 0
	for hi := range grants {
		for grants[hi].Sub(grants[lo]) >= time.Minute {
			lo++
		}
		most = max(most, float64(hi-lo+1)*pts)
	}
	return most
}

func TestBudgetNeverExceedsItsMinute(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		perMinute int
		pts       float64
	}{{900, readPoints}, {900, writePoints}, {5000, readPoints}, {60, writePoints}} {
		t.Run(strconv.Itoa(tc.perMinute)+"/"+strconv.Itoa(int(tc.pts)), func(t *testing.T) {
			g := NewWithT(t)
			b := newBudget(tc.perMinute, func() time.Time { return t0 })
			grants := drive(b, t0, 3*tc.perMinute/int(tc.pts), tc.pts, PriorityRoutine)
			g.Expect(maxInWindow(grants, tc.pts)).To(BeNumerically("<=", tc.perMinute))
			// ... and it is used: three minutes' worth takes about three minutes.
			g.Expect(grants[len(grants)-1].Sub(t0)).To(BeNumerically("~", 3*time.Minute, 25*time.Second))
		})
	}
}

func TestBudgetServesUrgentFirst(t *testing.T) {
	g := NewWithT(t)
	t0 := time.Now()
	b := newBudget(900, func() time.Time { return t0 })
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = 0
	b.urgentWaiting = 1
	g.Expect(b.reserveLocked(t0.Add(time.Minute), readPoints, PriorityRoutine, false)).To(BeNumerically(">", 0),
		"a routine read waits while a rotation's write does")
	g.Expect(b.reserveLocked(t0.Add(time.Minute), writePoints, PriorityUrgent, false)).To(BeZero())
}

func TestBudgetSpreadsThePrimaryBudgetOverTheHour(t *testing.T) {
	g := NewWithT(t)
	reset := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	b := newBudget(1<<20, time.Now)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4000") // 1,000 used 6 minutes into the window: ahead, but half is left
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	b.observe(h)
	b.mu.Lock()
	g.Expect(b.reserveLocked(reset.Add(-54*time.Minute), readPoints, PriorityRoutine, true)).To(BeZero(),
		"the first half of the hour's budget is not paced")
	b.mu.Unlock()
	h.Set("X-RateLimit-Remaining", "2000") // 3,000 used half-way: ahead of 50%+5%
	b.observe(h)
	now := reset.Add(-30 * time.Minute)
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.reserveLocked(now, readPoints, PriorityRoutine, true)
	g.Expect(w).To(BeNumerically("~", 3*time.Minute, 10*time.Second), "routine charged reads wait until the hour catches up")
	g.Expect(b.reserveLocked(now, readPoints, PriorityRoutine, false)).To(BeZero(), "a conditional read (a likely 304) is not charged")
	g.Expect(b.reserveLocked(now, writePoints, PriorityUrgent, true)).To(BeZero(), "an urgent write does not wait for the hour")
	g.Expect(b.reserveLocked(now.Add(3*time.Minute+5*time.Second), readPoints, PriorityRoutine, true)).To(BeZero())
}

// TestBudgetIsSharedByAnIdentity: two pipelines' clients of one token draw on one budget, which counts
// points (304s too) and waits.
func TestBudgetIsSharedByAnIdentity(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	fac := f.newFactory(func(o *FactoryOptions) { o.PointsPerMinute = 600 }) // a burst of 60 points, then 9/s
	ctx := context.Background()
	clients := make([]Client, 0, 2)
	for _, secret := range []string{"team-a/github", "team-b/github"} {
		c, err := fac.ClientFor(ctx, Connection{APIURL: f.sim.URL(), SecretKey: secret, SecretVersion: "1", Credentials: Credentials{Token: tokAdmin}})
		g.Expect(err).NotTo(HaveOccurred())
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for range 40 {
				_, err := c.GetRepository(ctx, "acme", "widgets")
				g.Expect(err).NotTo(HaveOccurred())
			}
		})
	}
	wg.Wait()
	id := tokenIdentity(tokAdmin)
	labels := map[string]string{"identity": id}
	g.Expect(metricValue(t, f.reg, MetricPointsSpent, labels)).To(Equal(80.0))
	g.Expect(metricValue(t, f.reg, MetricBudgetWaited, labels)).To(BeNumerically(">", 1),
		"80 points from one budget of a 60-point burst wait for the refill")
	g.Expect(metricValue(t, f.reg, MetricBudgetQueue, labels)).To(BeZero())
	g.Expect(f.sim.RequestCounts()["GET /repos/{owner}/{repo}"]).To(Equal(80))
}
