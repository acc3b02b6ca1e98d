package githubsim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
)

func TestURLAndUnknownRoutes(t *testing.T) {
	g := NewWithT(t)
	s := New()
	g.Expect(s.URL()).To(BeEmpty())
	s.Start()
	defer s.Close()
	g.Expect(s.URL()).To(MatchRegexp(`^http://127\.0\.0\.1:\d+/$`))
	g.Expect(s.AdminToken()).To(HaveLen(40))
	r := do(t, nil, "GET", s.URL()+"nope", "", nil)
	g.Expect(r.Status).To(Equal(http.StatusNotFound))
	g.Expect(r.JSON()["message"]).To(Equal("Not Found"))
	g.Expect(s.Requests()).To(HaveLen(1))
	g.Expect(s.Requests()[0].Route).To(BeEmpty())
	g.Expect(s.RequestCounts()).To(HaveKeyWithValue("GET (unmatched)", 1))
}

func TestAnonymousAccess(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	f.sim.UpdateRepo("acme", "gadgets", func(r *RepoState) { r.Private = false })
	url := f.sim.URL()
	g.Expect(do(t, nil, "GET", url+"repos/acme/widgets", "", nil).Status).To(Equal(http.StatusNotFound), "private repos are invisible")
	pub := do(t, nil, "GET", url+"repos/acme/gadgets", "", nil)
	g.Expect(pub.Status).To(Equal(http.StatusOK))
	g.Expect(pub.Header.Get("X-RateLimit-Limit")).To(Equal("60"))
	g.Expect(do(t, nil, "PUT", url+"repos/acme/gadgets/environments/x", "", nil).Status).To(Equal(http.StatusUnauthorized))
	g.Expect(do(t, nil, "GET", url+"users/alice", "", nil).Status).To(Equal(http.StatusOK))
	g.Expect(do(t, nil, "GET", url+"orgs/acme/teams/platform", "", nil).Status).To(Equal(http.StatusNotFound))
	g.Expect(do(t, nil, "GET", url+"app", "", nil).Status).To(Equal(http.StatusUnauthorized))
	// "token X" works like "Bearer X"; a malformed header is bad credentials.
	req, _ := http.NewRequest("GET", url+"repos/acme/widgets", nil)
	req.Header.Set("Authorization", "token "+tokAdmin)
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
	resp, err = http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
}

func TestCaseInsensitiveNames(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	url := f.sim.URL()
	g.Expect(do(t, nil, "GET", url+"repos/ACME/Widgets", tokAdmin, nil).Status).To(Equal(http.StatusOK))
	g.Expect(do(t, nil, "PUT", url+"repos/acme/widgets/environments/Production", tokAdmin, nil).Status).To(Equal(http.StatusOK))
	g.Expect(do(t, nil, "GET", url+"repos/acme/widgets/environments/production", tokAdmin, nil).JSON()["name"]).To(Equal("Production"))
	f.sim.SetSecretValue("acme", "widgets", "production", "api_key", "v")
	g.Expect(f.sim.SecretNames("acme", "widgets", "Production")).To(Equal([]string{"API_KEY"}))
	g.Expect(do(t, nil, "GET", url+"repos/acme/widgets/environments/production/secrets/Api_Key", tokAdmin, nil).JSON()["name"]).To(Equal("API_KEY"))
}

func TestSecretValidation(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	url := f.sim.URL() + "repos/acme/widgets/environments/e/secrets/"
	g.Expect(do(t, nil, "PUT", f.sim.URL()+"repos/acme/widgets/environments/e", tokAdmin, nil).Status).To(Equal(http.StatusOK))
	pk := do(t, nil, "GET", url+"public-key", tokAdmin, nil).JSON()
	keyID, key := pk["key_id"].(string), pk["key"].(string)
	put := func(name, value string) apiResp {
		return do(t, nil, "PUT", url+name, tokAdmin, map[string]string{"encrypted_value": seal(t, key, value), "key_id": keyID})
	}
	g.Expect(put("OK_1", "x").Status).To(Equal(http.StatusCreated))
	g.Expect(put("_under", "x").Status).To(Equal(http.StatusCreated))
	for _, bad := range []string{"1ABC", "has-dash", "github_token", "GitHub_X"} {
		r := put(bad, "x")
		g.Expect(r.Status).To(Equal(http.StatusUnprocessableEntity), bad)
		g.Expect(r.JSON()["errors"]).NotTo(BeEmpty(), bad)
	}
	g.Expect(put("BIG", strings.Repeat("a", 48*1024)).Status).To(Equal(http.StatusCreated))
	g.Expect(put("TOO_BIG", strings.Repeat("a", 48*1024+1)).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", url+"X", tokAdmin, map[string]string{"key_id": keyID}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", url+"X", tokAdmin, map[string]string{"encrypted_value": "!!", "key_id": keyID}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", url+"X", tokAdmin, []byte("{not json")).Status).To(Equal(http.StatusBadRequest))
	// Another environment's key does not open this one's secrets.
	g.Expect(do(t, nil, "PUT", f.sim.URL()+"repos/acme/widgets/environments/other", tokAdmin, nil).Status).To(Equal(http.StatusOK))
	other := do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/environments/other/secrets/public-key", tokAdmin, nil).JSON()
	g.Expect(other["key_id"]).NotTo(Equal(keyID))
	r := do(t, nil, "PUT", url+"X", tokAdmin, map[string]string{"encrypted_value": seal(t, other["key"].(string), "v"), "key_id": keyID})
	g.Expect(r.Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(f.sim.SecretNames("acme", "widgets", "e")).To(Equal([]string{"BIG", "OK_1", "_UNDER"}))
}

func TestEnvironmentSemantics(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	envURL := f.sim.URL() + "repos/acme/widgets/environments/prod"
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{
		"wait_timer": 10, "reviewers": []map[string]any{{"type": "User", "id": f.bobID}},
	}).Status).To(Equal(http.StatusOK))
	before, _ := f.sim.Environment("acme", "widgets", "prod")
	// Absent fields keep their value; an identical PUT does not bump updated_at.
	time.Sleep(10 * time.Millisecond)
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"wait_timer": 10}).Status).To(Equal(http.StatusOK))
	after, _ := f.sim.Environment("acme", "widgets", "prod")
	g.Expect(after).To(Equal(before))
	// A team of another org cannot review; teams cannot review user repos.
	f.sim.AddOrg("other")
	foreign := f.sim.AddTeam("other", "t")
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"reviewers": []map[string]any{{"type": "Team", "id": foreign}}}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", f.sim.URL()+"repos/alice/dotfiles/environments/x", tokAdmin, map[string]any{"reviewers": []map[string]any{{"type": "Team", "id": f.teamID}}}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"reviewers": []map[string]any{{"type": "Bot", "id": f.bobID}}}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"deployment_branch_policy": map[string]bool{"protected_branches": false, "custom_branch_policies": false}}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"wait_timer": -1}).Status).To(Equal(http.StatusUnprocessableEntity))
	// Six reviewers are fine.
	six := []map[string]any{}
	for i := 0; i < 6; i++ {
		six = append(six, map[string]any{"type": "User", "id": f.sim.AddUser(fmt.Sprintf("u%d", i))})
	}
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"reviewers": six}).Status).To(Equal(http.StatusOK))

	// Out-of-band change through the Go API, seen by clients.
	f.sim.UpdateEnvironment("acme", "widgets", "prod", func(e *EnvironmentState) {
		e.WaitTimer = 0
		e.DeploymentBranchPolicy = &DeploymentBranchPolicy{CustomBranchPolicies: true}
		e.BranchPolicies = append(e.BranchPolicies, BranchPolicy{Name: "main"})
	})
	got := do(t, nil, "GET", envURL, tokAdmin, nil).JSON()
	rules := got["protection_rules"].([]any)
	g.Expect(rules).To(HaveLen(2)) // required_reviewers, branch_policy
	bps := do(t, nil, "GET", envURL+"/deployment-branch-policies", tokAdmin, nil).JSON()
	g.Expect(bps["total_count"]).To(BeEquivalentTo(1))
	// Turning custom policies off drops them, as GitHub does.
	g.Expect(do(t, nil, "PUT", envURL, tokAdmin, map[string]any{"deployment_branch_policy": map[string]bool{"protected_branches": true, "custom_branch_policies": false}}).Status).To(Equal(http.StatusOK))
	st, _ := f.sim.Environment("acme", "widgets", "prod")
	g.Expect(st.BranchPolicies).To(BeEmpty())
}

func TestPaginationLinks(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		f.sim.UpdateEnvironment("acme", "widgets", fmt.Sprintf("env%d", i), func(*EnvironmentState) {})
	}
	r := do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/environments?per_page=2", tokAdmin, nil)
	g.Expect(r.JSON()["total_count"]).To(BeEquivalentTo(5))
	g.Expect(r.JSON()["environments"]).To(HaveLen(2))
	g.Expect(r.Header.Get("Link")).To(ContainSubstring(`page=2&per_page=2>; rel="next"`))
	g.Expect(r.Header.Get("Link")).To(ContainSubstring(`page=3&per_page=2>; rel="last"`))
	r = do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/environments?per_page=2&page=3", tokAdmin, nil)
	g.Expect(r.JSON()["environments"]).To(HaveLen(1))
	g.Expect(r.Header.Get("Link")).To(ContainSubstring(`rel="prev"`))
}

func TestContentsRawAndChangingSHA(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	u := f.sim.URL() + "repos/acme/widgets/contents/.github/workflows/ci.yml"
	raw := do(t, nil, "GET", u, tokAdmin, nil, "Accept", "application/vnd.github.raw")
	g.Expect(raw.Status).To(Equal(http.StatusOK))
	g.Expect(string(raw.Body)).To(Equal("on: push\njobs: {}\n"))
	dir1 := do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/contents/.github", tokAdmin, nil)
	f.sim.SetFile("acme", "widgets", ".github/workflows/ci.yml", []byte("on: pull_request\n"))
	dir2 := do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/contents/.github", tokAdmin, nil)
	g.Expect(dir2.Header.Get("ETag")).NotTo(Equal(dir1.Header.Get("ETag")), "a directory's sha follows the files below it")
	f.sim.DeleteFile("acme", "widgets", ".github/workflows/ci.yml")
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(http.StatusNotFound))
}

func TestConditionalRequestsAreFreeAndLogged(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	u := f.sim.URL() + "repos/acme/widgets/actions/permissions"
	first := do(t, nil, "GET", u, tokAdmin, nil)
	etag := first.Header.Get("ETag")
	for i := 0; i < 3; i++ {
		r := do(t, nil, "GET", u, tokAdmin, nil, "If-None-Match", etag)
		g.Expect(r.Status).To(Equal(http.StatusNotModified))
		g.Expect(r.Body).To(BeEmpty())
		g.Expect(r.Header.Get("X-RateLimit-Used")).To(Equal("1"))
	}
	f.sim.UpdateActionsPermissions("acme", "widgets", func(a *ActionsState) { a.SHAPinningRequired = true })
	r := do(t, nil, "GET", u, tokAdmin, nil, "If-None-Match", etag)
	g.Expect(r.Status).To(Equal(http.StatusOK))
	g.Expect(r.Header.Get("X-RateLimit-Used")).To(Equal("2"))
	reqs := f.sim.Requests()
	g.Expect(reqs).To(HaveLen(5))
	g.Expect(reqs[1]).To(MatchFields(IgnoreExtras, Fields{
		"Method": Equal("GET"), "Route": Equal("GET /repos/{owner}/{repo}/actions/permissions"),
		"Path": Equal("/repos/acme/widgets/actions/permissions"), "Status": Equal(304),
		"Token": Equal(tokAdmin), "Conditional": BeTrue(),
	}))
	f.sim.ResetRequests()
	g.Expect(f.sim.Requests()).To(BeEmpty())
}

func TestPrimaryWindowResets(t *testing.T) {
	g := NewWithT(t)
	clock := newFakeClock()
	f := newFixture(t, WithClock(clock.Now), WithPrimaryRateLimit(2))
	u := f.sim.URL() + "repos/acme/widgets"
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	r := do(t, nil, "GET", u, tokAdmin, nil)
	g.Expect(r.Status).To(Equal(http.StatusForbidden))
	g.Expect(r.Header.Get("X-RateLimit-Remaining")).To(Equal("0"))
	g.Expect(r.JSON()["message"]).To(HavePrefix("API rate limit exceeded"))
	reset, _ := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
	g.Expect(time.Unix(reset, 0)).To(BeTemporally("~", clock.Now().Add(time.Hour), 2*time.Second))
	// /rate_limit is free and reports the exhausted budget.
	rl := do(t, nil, "GET", f.sim.URL()+"rate_limit", tokAdmin, nil)
	g.Expect(rl.Status).To(Equal(200))
	g.Expect(rl.JSON()["resources"].(map[string]any)["core"].(map[string]any)["remaining"]).To(BeEquivalentTo(0))
	clock.Step(time.Hour + time.Second)
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	f.sim.ResetRateLimits()
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Header.Get("X-RateLimit-Used")).To(Equal("1"))
}

// A scaled window (for benchmarks that run GitHub's clock faster) resets at its own end.
func TestPrimaryWindowScaled(t *testing.T) {
	g := NewWithT(t)
	clock := newFakeClock()
	f := newFixture(t, WithClock(clock.Now), WithPrimaryRateLimitWindow(1, 6*time.Minute))
	u := f.sim.URL() + "repos/acme/widgets"
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	r := do(t, nil, "GET", u, tokAdmin, nil)
	g.Expect(r.Status).To(Equal(http.StatusForbidden))
	reset, _ := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
	g.Expect(time.Unix(reset, 0)).To(BeTemporally("~", clock.Now().Add(6*time.Minute), 2*time.Second))
	clock.Step(6*time.Minute + time.Second)
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
}

func TestSecondaryLimitPerMinute(t *testing.T) {
	g := NewWithT(t)
	clock := newFakeClock()
	f := newFixture(t, WithClock(clock.Now), WithSecondaryLimits(0, 3))
	u := f.sim.URL() + "repos/acme/widgets"
	for i := 0; i < 3; i++ {
		g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	}
	clock.Step(20 * time.Second)
	r := do(t, nil, "GET", u, tokAdmin, nil)
	g.Expect(r.Status).To(Equal(http.StatusForbidden))
	g.Expect(r.Header.Get("Retry-After")).To(Equal("41"))
	g.Expect(r.JSON()["documentation_url"]).To(HaveSuffix("secondary-rate-limits"))
	g.Expect(do(t, nil, "GET", f.sim.URL()+"repos/alice/dotfiles", "ghp_read", nil).Status).To(Equal(http.StatusNotFound), "other tokens are not limited")
	clock.Step(41 * time.Second)
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
}

func TestSecondaryLimitConcurrencyAndLatencyIsolation(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, WithSecondaryLimits(1, 0))
	f.sim.AddToken("ghp_fast", "acme/widgets")
	f.sim.SetFault("GET /repos/{owner}/{repo}/environments", Fault{Latency: 500 * time.Millisecond})
	slowDone := make(chan apiResp)
	go func() { slowDone <- do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets/environments", tokAdmin, nil) }()
	inflight := func(tok string) int {
		f.sim.limits.mu.Lock()
		defer f.sim.limits.mu.Unlock()
		if b := f.sim.limits.buckets["token:"+tok]; b != nil {
			return b.inflight
		}
		return 0
	}
	g.Eventually(func() int { return inflight(tokAdmin) }).Should(Equal(1))

	// Another token is served at once, mutations included: latency holds
	// no lock.
	start := time.Now()
	g.Expect(do(t, nil, "PUT", f.sim.URL()+"repos/acme/widgets/environments/x", "ghp_fast", nil).Status).To(Equal(200))
	g.Expect(time.Since(start)).To(BeNumerically("<", 250*time.Millisecond))
	// The slow token has a request in flight, so its second one is refused
	// by the concurrency limit.
	second := do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets", tokAdmin, nil)
	g.Expect(second.Status).To(Equal(http.StatusForbidden))
	g.Expect(second.Header.Get("Retry-After")).NotTo(BeEmpty())
	g.Expect(second.JSON()["documentation_url"]).To(HaveSuffix("secondary-rate-limits"))
	g.Expect((<-slowDone).Status).To(Equal(200))
	g.Expect(inflight(tokAdmin)).To(Equal(0))
	g.Expect(do(t, nil, "GET", f.sim.URL()+"repos/acme/widgets", tokAdmin, nil).Status).To(Equal(200))
}

func TestFaults(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	u := f.sim.URL() + "repos/acme/widgets"
	f.sim.SetFault("GET /repos/{owner}/{repo}", Fault{Status: 502, Count: 2})
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(502))
	g.Expect(f.sim.Faults()).To(ConsistOf(MatchFields(IgnoreExtras, Fields{"Route": Equal("GET /repos/{owner}/{repo}"), "Remaining": Equal(1)})))
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(502))
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	g.Expect(f.sim.Faults()).To(BeEmpty())

	// "*" applies to every route without its own fault.
	f.sim.SetFault("*", Fault{Status: 500})
	f.sim.SetFault("GET /users/{username}", Fault{Latency: time.Millisecond})
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(500))
	g.Expect(do(t, nil, "GET", f.sim.URL()+"users/alice", tokAdmin, nil).Status).To(Equal(200))
	f.sim.ClearFaults()

	// Reset closes the connection without an answer.
	f.sim.SetFault("GET /repos/{owner}/{repo}", Fault{Reset: true, Count: 1})
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	_, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	g.Expect(err).To(HaveOccurred())
	g.Expect(errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF")).To(BeTrue(), err.Error())
	g.Expect(do(t, nil, "GET", u, tokAdmin, nil).Status).To(Equal(200))
	var statuses []int
	for _, r := range f.sim.Requests() {
		statuses = append(statuses, r.Status)
	}
	g.Expect(statuses).To(ContainElement(0), "a reset is logged with status 0")
}

func TestAdminAPI(t *testing.T) {
	g := NewWithT(t)
	s := New(WithAdminToken("adm")).Start()
	defer s.Close()
	u := s.URL() + "_sim/"
	g.Expect(do(t, nil, "GET", u+"state", "", nil).Status).To(Equal(http.StatusUnauthorized))
	g.Expect(do(t, nil, "GET", u+"state", "wrong", nil).Status).To(Equal(http.StatusUnauthorized))

	_, pub, _ := appKey(t)
	seed := []byte(`
users: [alice]
orgs: [acme]
teams: [acme/platform]
repos:
  - acme/widgets
  - {owner: alice, name: dotfiles, private: false, default_branch: trunk}
tokens:
  - {token: ghp_x, repos: [acme/widgets]}
apps:
  - id: 9
    public_key_pem: |
` + indent(string(pub), "      ") + `
installations:
  - {app_id: 9, id: 90, repos: ["*"]}
files:
  - {repo: acme/widgets, path: .github/workflows/ci.yml, content: "on: push\n"}
  - {repo: acme/widgets, path: bin/tool, content_base64: "AAEC"}
`)
	r := do(t, nil, "POST", u+"seed", "adm", seed)
	g.Expect(r.Status).To(Equal(http.StatusOK), string(r.Body))
	g.Expect(r.JSON()["repos"]).To(HaveKey("acme/widgets"))
	g.Expect(do(t, nil, "POST", u+"users", "adm", map[string]string{"login": "bob"}).JSON()["id"]).NotTo(BeZero())
	g.Expect(do(t, nil, "POST", u+"repos", "adm", map[string]string{"owner": "acme", "name": "gadgets"}).Status).To(Equal(http.StatusCreated))
	g.Expect(do(t, nil, "POST", u+"tokens", "adm", map[string]any{"token": "ghp_y", "repos": []string{"*"}}).Status).To(Equal(http.StatusCreated))
	g.Expect(do(t, nil, "POST", u+"teams", "adm", map[string]any{"org": "acme", "slug": "sre"}).Status).To(Equal(http.StatusCreated))
	g.Expect(do(t, nil, "POST", u+"installations", "adm", map[string]any{"app_id": 9, "id": 91, "repos": []string{"acme/gadgets"}}).Status).To(Equal(http.StatusCreated))
	g.Expect(do(t, nil, "POST", u+"repos", "adm", map[string]string{"owner": "acme"}).Status).To(Equal(http.StatusUnprocessableEntity))
	dot, _ := s.Repo("alice", "dotfiles")
	g.Expect(dot.DefaultBranch).To(Equal("trunk"))
	g.Expect(dot.Private).To(BeFalse())
	g.Expect(do(t, nil, "GET", s.URL()+"repos/acme/gadgets", "ghp_y", nil).Status).To(Equal(200))

	// Files.
	g.Expect(do(t, nil, "PUT", u+"repos/acme/widgets/files/.github/workflows/new.yml", "adm", []byte("on: push\n")).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "GET", s.URL()+"repos/acme/widgets/contents/.github/workflows/new.yml", "ghp_x", nil).Status).To(Equal(200))
	g.Expect(do(t, nil, "DELETE", u+"repos/acme/widgets/files/.github/workflows/new.yml", "adm", nil).Status).To(Equal(http.StatusNoContent))

	// Out-of-band environment, secret, actions, repo and ruleset changes.
	aliceID := s.AddUser("alice")
	r = do(t, nil, "PATCH", u+"repos/acme/widgets/environments/prod", "adm", map[string]any{
		"wait_timer": 5, "reviewers": []map[string]any{{"type": "User", "id": aliceID}},
		"deployment_branch_policy": map[string]bool{"protected_branches": false, "custom_branch_policies": true},
		"branch_policies":          []map[string]string{{"name": "main"}},
	})
	g.Expect(r.Status).To(Equal(http.StatusOK), string(r.Body))
	env, _ := s.Environment("acme", "widgets", "prod")
	g.Expect(env.WaitTimer).To(Equal(5))
	g.Expect(env.BranchPolicies).To(HaveLen(1))
	g.Expect(env.BranchPolicies[0].ID).NotTo(BeZero())
	g.Expect(do(t, nil, "PATCH", u+"repos/acme/widgets/environments/prod", "adm", map[string]any{"wait_timer": 999999}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", u+"repos/acme/widgets/environments/prod/secrets/TOKEN", "adm", map[string]string{"value": "v1"}).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "PUT", u+"repos/acme/widgets/environments/prod/secrets/GITHUB_X", "adm", map[string]string{"value": "v1"}).Status).To(Equal(http.StatusUnprocessableEntity))
	oldKey := do(t, nil, "GET", s.URL()+"repos/acme/widgets/environments/prod/secrets/public-key", "ghp_x", nil).JSON()["key_id"]
	g.Expect(do(t, nil, "POST", u+"repos/acme/widgets/environments/prod/rotate-key", "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "GET", s.URL()+"repos/acme/widgets/environments/prod/secrets/public-key", "ghp_x", nil).JSON()["key_id"]).NotTo(Equal(oldKey))
	g.Expect(do(t, nil, "PATCH", u+"repos/acme/widgets/actions", "adm", map[string]any{"default_workflow_permissions": "read", "enabled": false}).Status).To(Equal(http.StatusOK))
	g.Expect(s.ActionsPermissions("acme", "widgets").DefaultWorkflowPermissions).To(Equal("read"))
	g.Expect(s.ActionsPermissions("acme", "widgets").Enabled).To(BeFalse())
	g.Expect(do(t, nil, "PATCH", u+"repos/acme/widgets", "adm", map[string]any{"web_commit_signoff_required": true}).Status).To(Equal(http.StatusOK))
	rs := do(t, nil, "POST", s.URL()+"repos/acme/widgets/rulesets", "ghp_x", map[string]any{"name": "r", "enforcement": "active"})
	g.Expect(rs.Status).To(Equal(http.StatusCreated))
	g.Expect(do(t, nil, "DELETE", u+"repos/acme/widgets/rulesets/"+strconv.Itoa(int(rs.JSON()["id"].(float64))), "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(s.Rulesets("acme", "widgets")).To(BeEmpty())

	// State.
	var snap StateSnapshot
	r = do(t, nil, "GET", u+"state", "adm", nil)
	g.Expect(r.Status).To(Equal(http.StatusOK))
	g.Expect(jsonUnmarshal(r.Body, &snap)).To(Succeed())
	g.Expect(snap.Repos).To(HaveLen(3))
	g.Expect(snap.Repos[1].FullName).To(Equal("acme/widgets"))
	g.Expect(snap.Repos[1].WebCommitSignoffRequired).To(BeTrue())
	g.Expect(snap.Repos[1].Environments[0].Secrets[0]).To(MatchFields(IgnoreExtras, Fields{"Name": Equal("TOKEN"), "Value": Equal("v1")}))
	g.Expect(snap.Repos[1].Files).To(ContainElement(MatchFields(IgnoreExtras, Fields{"Path": Equal("bin/tool"), "Content": Equal("\x00\x01\x02")})))
	g.Expect(snap.Installations).To(HaveLen(2))
	g.Expect(snap.Apps).To(Equal([]int64{9}))

	// Requests and faults.
	r = do(t, nil, "GET", u+"requests", "adm", nil)
	g.Expect(r.JSON()["counts"]).To(HaveKeyWithValue("GET /repos/{owner}/{repo}", BeEquivalentTo(1)))
	g.Expect(do(t, nil, "DELETE", u+"requests", "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(s.Requests()).To(BeEmpty())
	g.Expect(do(t, nil, "PUT", u+"faults", "adm", map[string]any{"route": "GET /repos/{owner}/{repo}", "status": 503, "count": 1, "latency": "5ms"}).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "PUT", u+"faults", "adm", map[string]any{"route": "GET /nope"}).Status).To(Equal(http.StatusUnprocessableEntity))
	g.Expect(do(t, nil, "PUT", u+"faults", "adm", map[string]any{"route": "*", "latency": "forever"}).Status).To(Equal(http.StatusBadRequest))
	faults := do(t, nil, "GET", u+"faults", "adm", nil)
	g.Expect(string(faults.Body)).To(ContainSubstring(`"latency": "5ms"`))
	g.Expect(do(t, nil, "GET", s.URL()+"repos/acme/widgets", "ghp_x", nil).Status).To(Equal(503))
	g.Expect(do(t, nil, "PUT", u+"faults", "adm", map[string]any{"route": "*", "status": 500}).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "DELETE", u+"faults?route=*", "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(s.Faults()).To(BeEmpty())
	g.Expect(do(t, nil, "DELETE", u+"ratelimits", "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "DELETE", u+"tokens/ghp_y", "adm", nil).Status).To(Equal(http.StatusNoContent))
	g.Expect(do(t, nil, "GET", s.URL()+"repos/acme/gadgets", "ghp_y", nil).Status).To(Equal(http.StatusUnauthorized))
	g.Expect(do(t, nil, "GET", u+"nope", "adm", nil).Status).To(Equal(http.StatusNotFound))
}

func TestLoadSeedFile(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, pub, _ := appKey(t)
	g.Expect(os.WriteFile(filepath.Join(dir, "app.pem"), pub, 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "seed.json"), []byte(`{"repos":["o/r"],"apps":[{"id":1,"public_key_file":"app.pem"}],"installations":[{"app_id":1,"id":2,"repos":["o/r"]}]}`), 0o600)).To(Succeed())
	sd, err := LoadSeedFile(filepath.Join(dir, "seed.json"))
	g.Expect(err).NotTo(HaveOccurred())
	s := New()
	_, err = s.ApplySeed(sd)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Snapshot().Apps).To(Equal([]int64{1}))
	_, err = ParseSeed([]byte("repos: [noslash]"))
	g.Expect(err).To(MatchError(ContainSubstring("owner/name")))
	_, err = s.ApplySeed(&Seed{Files: []SeedFile{{Repo: "x/y", Path: "a"}}})
	g.Expect(err).To(MatchError(ContainSubstring("not seeded")))
	g.Expect(s.AddAppE(3, []byte("nope"))).To(MatchError(ContainSubstring("not PEM")))

	// The README's example seed, with the ids the README quotes.
	ex, err := LoadSeedFile("testdata/example-seed.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	res, err := New().ApplySeed(ex)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Users).To(Equal(map[string]int64{"alice": 1001, "bob": 1002}))
	g.Expect(res.Teams).To(Equal(map[string]int64{"acme/platform": 1004}))
	g.Expect(res.Repos).To(Equal(map[string]int64{"acme/widgets": 1005, "acme/gadgets": 1006}))
}

// TestConcurrentUse hammers the simulator from many goroutines so that the
// race detector can check the locking.
func TestConcurrentUse(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				env := fmt.Sprintf("e%d", i%3)
				base := f.sim.URL() + "repos/acme/widgets/environments/" + env
				if r := do(t, nil, "PUT", base, tokAdmin, map[string]any{"wait_timer": i}); r.Status != 200 {
					t.Errorf("PUT env: %d", r.Status)
				}
				do(t, nil, "GET", base+"/secrets/public-key", tokAdmin, nil)
				f.sim.SetSecretValue("acme", "widgets", env, "S", strconv.Itoa(w))
				_, _, _ = f.sim.SecretValue("acme", "widgets", env, "S")
				f.sim.UpdateActionsPermissions("acme", "widgets", func(a *ActionsState) { a.Enabled = !a.Enabled })
				_ = f.sim.Snapshot()
				_ = f.sim.Requests()
				f.sim.SetFault("GET /users/{username}", Fault{Latency: time.Microsecond, Count: 1})
				do(t, nil, "GET", f.sim.URL()+"users/alice", tokAdmin, nil)
			}
		}(w)
	}
	wg.Wait()
	g.Expect(f.sim.EnvironmentNames("acme", "widgets")).To(Equal([]string{"e0", "e1", "e2"}))
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return pre + strings.Join(lines, "\n"+pre)
}
