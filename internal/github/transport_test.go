package github

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/test/githubsim"
)

const repoRoute = "/repos/{owner}/{repo}"

func TestUnchangedReadsAreRevalidatedFor304(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	remaining := func() float64 {
		return f.remaining(t, tokenIdentity(tokAdmin))
	}

	first, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	before := remaining()
	g.Expect(before).To(Equal(4999.0))
	second, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(second).To(Equal(first), "the cached body is served")

	g.Expect(routesOf(f.sim.Requests())).To(Equal([]string{
		"GET /repos/{owner}/{repo} 200",
		"GET /repos/{owner}/{repo} 304 conditional",
	}))
	g.Expect(remaining()).To(Equal(before), "a 304 costs no primary rate limit")
	g.Expect(f.requests(t, http.MethodGet, repoRoute, "304")).To(Equal(1.0))

	// A change made on GitHub is seen: the revalidation answers 200 with the new body.
	f.sim.UpdateRepo("acme", "widgets", func(r *githubsim.RepoState) { r.DefaultBranch = "trunk" })
	third, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(third.DefaultBranch).To(Equal("trunk"))
	g.Expect(routesOf(f.sim.Requests())[2]).To(Equal("GET /repos/{owner}/{repo} 200 conditional"))
}

func TestWritesInvalidateCachedReads(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	_, err := c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: "prod", WaitTimer: 1})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetEnvironment(ctx, "acme", "widgets", "prod")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	f.sim.ResetRequests()

	env, err := c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: "prod", WaitTimer: 2})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.WaitTimer).To(Equal(2))
	env, err = c.GetEnvironment(ctx, "acme", "widgets", "prod")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.WaitTimer).To(Equal(2))
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(routesOf(f.sim.Requests())).To(Equal([]string{
		"PUT /repos/{owner}/{repo}/environments/{environment_name} 200",
		"GET /repos/{owner}/{repo}/environments/{environment_name} 200", // fetched afresh after the write
		"GET /repos/{owner}/{repo} 304 conditional",                     // unrelated: still cached
	}))
}

func TestOneRequestAtATimePerToken(t *testing.T) {
	g := NewWithT(t)
	// GitHub's secondary limit allows one request in flight per token here: any overlap would be a 403.
	f := newFixture(t, githubsim.WithSecondaryLimits(1, 0))
	f.sim.SetFault("*", githubsim.Fault{Latency: 40 * time.Millisecond})
	ctx := context.Background()
	admin, other := f.client(t, tokAdmin), f.client(t, tokOther)

	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 6 {
		for _, c := range []Client{admin, other} {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = c.GetRepository(ctx, "acme", "widgets")
				} else {
					_, err = c.UserID(ctx, "alice")
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}

	byToken := map[string][]githubsim.RequestRecord{}
	for _, r := range f.sim.Requests() {
		g.Expect(r.Status).NotTo(Equal(http.StatusForbidden))
		byToken[r.Token] = append(byToken[r.Token], r)
	}
	overlaps := func(a, b githubsim.RequestRecord) bool {
		return a.Time.Before(b.Time.Add(b.Duration)) && b.Time.Before(a.Time.Add(a.Duration))
	}
	for tok, recs := range byToken {
		g.Expect(recs).To(HaveLen(6))
		for i := range recs {
			for j := i + 1; j < len(recs); j++ {
				g.Expect(overlaps(recs[i], recs[j])).To(BeFalse(), "two requests of %s overlap", tok)
			}
		}
	}
	parallel := false
	for _, a := range byToken[tokAdmin] {
		for _, b := range byToken[tokOther] {
			parallel = parallel || overlaps(a, b)
		}
	}
	g.Expect(parallel).To(BeTrue(), "different tokens run in parallel")
}

func TestWaitingForTheSlotHonoursContext(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{Latency: 500 * time.Millisecond})
	c := f.client(t, tokAdmin)

	go func() { _, _ = c.GetRepository(context.Background(), "acme", "widgets") }()
	g.Eventually(func() int { return inFlight(f) }).Should(Equal(1))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.UserID(ctx, "alice")
	g.Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "%v", err)
	g.Expect(time.Since(start)).To(BeNumerically("<", 400*time.Millisecond), "it gave up waiting, not after the slow request")
}

func isRateLimited(err error) bool {
	_, ok := AsRateLimit(err)
	return ok
}

// inFlight reports 1 once the fixture's admin identity holds its request slot.
func inFlight(f *fixture) int {
	fac := f.factory.(*factory)
	fac.mu.Lock()
	defer fac.mu.Unlock()
	for _, id := range fac.identities {
		if len(id.v.slot) > 0 {
			return 1
		}
	}
	return 0
}

func TestSecondaryRateLimitHoldsWithoutTouchingTheNetwork(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 5, Count: 1})

	_, err := c.GetRepository(ctx, "acme", "widgets")
	rl, ok := AsRateLimit(err)
	g.Expect(ok).To(BeTrue(), "%v", err)
	g.Expect(rl.Secondary).To(BeTrue())
	g.Expect(rl.RetryAt).To(Equal(f.clock.Now().Add(5 * time.Second)))
	g.Expect(rl.Identity).To(Equal(tokenIdentity(tokAdmin)))
	g.Expect(IsTransient(err)).To(BeFalse())
	g.Expect(IsForbidden(err)).To(BeFalse(), "a rate limit is not a missing permission")

	f.sim.ResetRequests()
	f.clock.Step(4 * time.Second)
	for range 3 {
		_, err = c.GetRepository(ctx, "acme", "widgets")
		rl, ok = AsRateLimit(err)
		g.Expect(ok).To(BeTrue(), "%v", err)
		g.Expect(rl.RetryAt).To(Equal(f.clock.Now().Add(time.Second)))
		_, err = c.UserID(ctx, "alice")
		g.Expect(isRateLimited(err)).To(BeTrue(), "every route of the identity is held: %v", err)
	}
	g.Expect(f.sim.Requests()).To(BeEmpty(), "no request reaches GitHub while held")
	// GitHub's own answer counts, as do the six requests refused here.
	g.Expect(f.limited(t, tokenIdentity(tokAdmin), "secondary")).To(Equal(7.0))

	// Other credentials are not held.
	_, err = f.client(t, tokOther).GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())

	f.clock.Step(time.Second)
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred(), "the hold ends at RetryAt")
}

func TestPrimaryRateLimitFloorHoldsUntilReset(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, githubsim.WithPrimaryRateLimit(5))
	f.factory = f.newFactory(func(o *FactoryOptions) { o.RateLimitFloor = 3 })
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	// Three different reads (unconditional, so each costs one): 4, 3, then 2 left, below the floor of 3.
	_, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.TeamID(ctx, "acme", "platform")
	g.Expect(err).NotTo(HaveOccurred(), "the request that reports the low count still succeeds")

	sent := len(f.sim.Requests())
	_, err = c.GetActionsPermissions(ctx, "acme", "widgets")
	rl, ok := AsRateLimit(err)
	g.Expect(ok).To(BeTrue(), "%v", err)
	g.Expect(rl.Secondary).To(BeFalse())
	g.Expect(rl.RetryAt).To(BeTemporally("~", time.Now().Add(time.Hour), 5*time.Second), "GitHub's x-ratelimit-reset")
	g.Expect(f.sim.Requests()).To(HaveLen(sent), "held without touching the network")
	g.Expect(f.remaining(t, tokenIdentity(tokAdmin))).To(Equal(2.0))

	f.clock.Step(time.Until(rl.RetryAt) + time.Second)
	_, err = c.GetActionsPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred(), "after the reset requests flow again")
}

func TestPrimaryRateLimitExhaustedByOthers(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, githubsim.WithPrimaryRateLimit(2))
	ctx := context.Background()
	// Someone else spends the token's budget.
	for range 2 {
		req, _ := http.NewRequest("GET", f.sim.URL()+"users/alice", nil)
		req.Header.Set("Authorization", "Bearer "+tokAdmin)
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
	}
	c := f.client(t, tokAdmin)

	_, err := c.GetRepository(ctx, "acme", "widgets")
	rl, ok := AsRateLimit(err)
	g.Expect(ok).To(BeTrue(), "a 403 with x-ratelimit-remaining: 0 is the primary limit: %v", err)
	g.Expect(rl.Secondary).To(BeFalse())
	g.Expect(rl.RetryAt).To(BeTemporally("~", time.Now().Add(time.Hour), 5*time.Second))
	sent := len(f.sim.Requests())
	_, err = c.UserID(ctx, "alice")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	g.Expect(f.sim.Requests()).To(HaveLen(sent))
}

func TestErrorsAreTyped(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()

	_, err := f.client(t, "ghp_revoked").GetRepository(ctx, "acme", "widgets")
	g.Expect(IsUnauthorized(err)).To(BeTrue(), "%v", err)
	g.Expect(IsTransient(err)).To(BeFalse())
	g.Expect(err.Error()).NotTo(ContainSubstring("ghp_revoked"))
	var apiErr *APIError
	g.Expect(errors.As(err, &apiErr)).To(BeTrue())
	g.Expect(*apiErr).To(Equal(APIError{Method: "GET", Route: "GET " + repoRoute, StatusCode: 401, Message: "Bad credentials"}))

	c := f.client(t, tokAdmin)
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{Status: http.StatusBadGateway, Count: 1})
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(errors.As(err, &apiErr)).To(BeTrue(), "%v", err)
	g.Expect(apiErr.StatusCode).To(Equal(http.StatusBadGateway))
	g.Expect(IsTransient(err)).To(BeTrue())

	// A reset connection is no answer at all: transient, and not an APIError. (The fault stays on
	// because net/http retries an idempotent request once on a reused connection.)
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{Reset: true})
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).To(HaveOccurred())
	g.Expect(errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadGateway).To(BeFalse())
	g.Expect(statusOf(err)).To(BeZero(), "%v", err)
	g.Expect(IsTransient(err)).To(BeTrue())
	g.Expect(err).To(MatchError(ContainSubstring("reading repository acme/widgets: GitHub GET /repos/{owner}/{repo}: no answer")))
	g.Expect(f.requests(t, http.MethodGet, repoRoute, "error")).To(BeNumerically(">=", 1))
	f.sim.ClearFaults()

	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred(), "no hold after server errors")
}

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	for _, env := range []string{"staging", "production"} {
		_, err := c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: env})
		g.Expect(err).NotTo(HaveOccurred())
	}
	_, err := c.GetEnvironment(ctx, "acme", "widgets", "nope")
	g.Expect(IsNotFound(err)).To(BeTrue())

	envRoute := "/repos/{owner}/{repo}/environments/{environment_name}"
	g.Expect(f.requests(t, http.MethodPut, envRoute, "200")).To(Equal(2.0))
	g.Expect(f.requests(t, http.MethodGet, envRoute, "404")).To(Equal(1.0))
	g.Expect(f.remaining(t, tokenIdentity(tokAdmin))).To(Equal(4997.0))
}

func TestMetricsRegistrationIsIdempotent(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	g.Expect(func() {
		f.newFactory()
		f.newFactory()
		// The default registry (controller-runtime's) too.
		NewFactory(FactoryOptions{})
		NewFactory(FactoryOptions{})
	}).NotTo(Panic())

	// Factories sharing a registry share the collectors.
	ctx := context.Background()
	_, err := f.client(t, tokAdmin).GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	other, err := f.newFactory().ClientFor(ctx, tokenConn(f.sim.URL(), tokAdmin))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = other.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.requests(t, http.MethodGet, repoRoute, "200")).To(Equal(2.0))
}

func TestRouteTemplates(t *testing.T) {
	g := NewWithT(t)
	for path, want := range map[string]string{
		"/api/v3/repos/acme/widgets":                                              repoRoute,
		"/api/v3/repositories/12/environments/qa%2Feu/secrets/public-key":         "/repositories/{repository_id}/environments/{environment_name}/secrets/public-key",
		"/api/v3/repositories/12/environments/qa/secrets/TOKEN":                   "/repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
		"/api/v3/repos/acme/widgets/contents/.github/workflows/ci.yml":            "/repos/{owner}/{repo}/contents/{path}",
		"/api/v3/repos/acme/widgets/environments/prod/deployment-branch-policies": "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
		"/api/v3/repos/acme/widgets/actions/permissions/workflow":                 "/repos/{owner}/{repo}/actions/permissions/workflow",
		"/api/v3/repos/acme/widgets/hooks":                                        routeOther,
		"/repos/acme/widgets":                                                     routeOther, // outside the base path
	} {
		req, err := http.NewRequest("GET", "https://ghe.example.com"+path, nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(routeTemplate("/api/v3/", req.URL)).To(Equal(want), path)
	}
}

func TestRequestTimeoutBoundsTheExchangeNotTheWait(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	f.factory = f.newFactory(func(o *FactoryOptions) { o.RequestTimeout = 300 * time.Millisecond })
	f.sim.SetFault("*", githubsim.Fault{Latency: 200 * time.Millisecond})
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	// Three requests queue for one slot: the last waits ~400ms, more than the timeout, and still succeeds.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			_, err := c.UserID(ctx, "alice")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}

	// A slow exchange times out: no answer, transient.
	f.sim.SetFault("*", githubsim.Fault{Latency: time.Second})
	_, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "%v", err)
	g.Expect(IsTransient(err)).To(BeTrue())
}

func TestETagCacheIsBounded(t *testing.T) {
	g := NewWithT(t)
	entry := func(key string, size int) *cacheEntry {
		return &cacheEntry{key: key, path: "/" + key, etag: `"x"`, body: make([]byte, size)}
	}
	one := entry("a", 4).size()
	c := newETagCache(3, 2*one+one/2) // room for two 4-byte entries
	put := func(key string, size int) { c.put(entry(key, size)) }
	put("a", 4)
	put("b", 4)
	g.Expect(c.get("a")).NotTo(BeNil(), "a is now the most recently used")
	put("c", 4) // three entries' bytes > the bound: the least recently used (b) goes
	g.Expect(c.get("b")).To(BeNil())
	g.Expect(c.get("a")).NotTo(BeNil())
	g.Expect(c.bytes).To(Equal(2 * one))
	c.maxBytes = 1 << 20
	put("d", 1)
	put("e", 1) // four entries > 3
	g.Expect(c.entries).To(HaveLen(3))
	g.Expect(c.get("c")).To(BeNil())
	c.put(&cacheEntry{key: "big", path: "/big", etag: `"x"`, body: incompressible(maxCachedBody + 1)})
	g.Expect(c.get("big")).To(BeNil(), "bodies over 1 MiB (as kept) are not cached")

	c.invalidate("/a/child") // a write below a: its parent /a is dropped too
	g.Expect(c.get("a")).To(BeNil())
	g.Expect(c.bytes).To(Equal(entry("d", 1).size() + entry("e", 1).size()))
}

// TestETagCacheKeepsResyncEntriesFromTheAudit: however many workflow files the hourly audit reads, it
// never evicts what resyncs need; without an entry bound, thousands of repositories' reads fit.
func TestETagCacheKeepsResyncEntriesFromTheAudit(t *testing.T) {
	g := NewWithT(t)
	c := newETagCache(0, 4<<20)
	for i := range 5000 {
		c.put(&cacheEntry{key: fmt.Sprint("r", i), path: fmt.Sprintf("/repos/acme/svc-%d/environments", i), etag: `"x"`,
			header: http.Header{"Content-Type": {"application/json"}, "X-Github-Request-Id": {"drop me"}}, body: incompressible(300)})
	}
	g.Expect(c.order.Len()).To(Equal(5000), "no entry bound: 5,000 small answers fit in 4 MiB")
	g.Expect(c.get("r0").replayHeader()).To(Equal(http.Header{"Content-Type": {"application/json"}, "Etag": {`"x"`}}),
		"only the headers a replay needs")
	for i := range 200 {
		c.put(&cacheEntry{key: fmt.Sprint("w", i), path: fmt.Sprintf("/repos/acme/svc-%d/contents/.github/workflows/ci.yml", i),
			etag: `"x"`, body: incompressible(20000)})
	}
	g.Expect(c.order.Len()).To(Equal(5000), "the audit's reads evicted none of the resyncs'")
	g.Expect(c.auditBytes).To(BeNumerically("<=", c.maxBytes/auditShare))
	g.Expect(c.audit.Len()).To(BeNumerically(">", 10))
	g.Expect(c.get("w199")).NotTo(BeNil(), "the newest workflow file is kept")
	g.Expect(c.get("w0")).To(BeNil())
}

// incompressible returns n random bytes: the cache keeps them as they are, at their full size.
func incompressible(n int) []byte {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b)
	return b
}
