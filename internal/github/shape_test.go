package github

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
)

// exampleGitHub serves GitHub's own example answers (testdata/resync-answers.json, from its OpenAPI
// description) for any repository acme/svc-NNNN (ID 100000+NNNN), made distinct per repository and
// environment, with a strong ETag per body and 304s for If-None-Match.
type exampleGitHub struct {
	routes  []exampleRoute
	notMods atomic.Int64
}

type exampleRoute struct {
	re   *regexp.Regexp
	body string
}

func newExampleGitHub(t testing.TB) *exampleGitHub {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "resync-answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	// The organisation's listing is a page of minimal repositories; the full repository is a superset.
	fixture.Answers["GET /orgs/{org}/repos"] = json.RawMessage("[" + string(fixture.Answers["GET /repos/{owner}/{repo}"]) + "]")
	fixture.Answers["GET /users/{username}"] = json.RawMessage(`{"login":"octocat","id":1,"node_id":"MDQ6VXNlcjE=",` +
		`"avatar_url":"https://github.com/images/error/octocat_happy.gif","type":"User","site_admin":false,"name":"monalisa octocat"}`)
	// The example's key ("012345678912345678") is not a key; the client checks that one is 32 bytes.
	fixture.Answers["GET /repositories/{repository_id}/environments/{environment_name}/secrets/public-key"] =
		json.RawMessage(`{"key_id":"012345678912345678","key":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}`)
	g := &exampleGitHub{}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for route, body := range fixture.Answers {
		// The routes have no regular-expression characters but their {parameters}.
		pattern := "^" + param.ReplaceAllStringFunc(strings.TrimPrefix(route, "GET "), func(p string) string {
			return "(?P<" + strings.Trim(p, "{}") + ">[^/]+)"
		}) + "$"
		g.routes = append(g.routes, exampleRoute{regexp.MustCompile(pattern), string(body)})
	}
	return g
}

func (g *exampleGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, rt := range g.routes {
		m := rt.re.FindStringSubmatch(r.URL.Path)
		if m == nil {
			continue
		}
		// acme/svc-NNNN is repository 100000+NNNN, whichever of the two the route names.
		var n int
		repl := []string{}
		for i, name := range rt.re.SubexpNames() {
			switch name {
			case "repo":
				_, _ = fmt.Sscanf(m[i], "svc-%d", &n)
			case "repository_id":
				_, _ = fmt.Sscanf(m[i], "%d", &n)
				n -= 100000
			case "environment_name":
				repl = append(repl, "staging", m[i])
			}
		}
		repo := fmt.Sprintf("svc-%04d", n)
		repl = append(repl, "octocat/Hello-World", "acme/"+repo, "Hello-World", repo, "1296269", strconv.Itoa(100000+n))
		body := strings.NewReplacer(repl...).Replace(rt.body)
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(body)))
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-GitHub-Request-Id", "CAFE:1234:5678:9ABC:DEF0")
		if r.Header.Get("If-None-Match") == etag {
			g.notMods.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(body))
		return
	}
	http.NotFound(w, r)
}

// resyncReads is what a resync of acme/svc-NNNN with two environments reads, with the reads' results.
func resyncReads(ctx context.Context, c Client, i int) ([]any, error) {
	owner, repo, id := "acme", fmt.Sprintf("svc-%04d", i), int64(100000+i)
	var out []any
	add := func(v any, err error) error {
		out = append(out, v)
		return err
	}
	steps := []func() error{
		func() error { return add(c.GetRepository(ctx, owner, repo)) },
		func() error { return add(c.GetActionsPermissions(ctx, owner, repo)) },
		func() error { return add(c.GetWorkflowPermissions(ctx, owner, repo)) },
		func() error { return add(c.ListRulesets(ctx, owner, repo)) },
	}
	for _, env := range []string{"ci", "production"} {
		steps = append(steps,
			func() error { return add(c.GetEnvironment(ctx, owner, repo, env)) },
			func() error { return add(c.ListBranchPolicies(ctx, owner, repo, env)) },
			func() error { return add(c.ListEnvironmentSecrets(ctx, id, env)) },
			func() error { return add(c.EnvironmentPublicKey(ctx, id, env)) },
		)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func exampleClient(t testing.TB, url string) (Client, *etagCache) {
	t.Helper()
	f := NewFactory(FactoryOptions{Registerer: prometheus.NewRegistry(), PointsPerMinute: -1})
	c, err := f.ClientFor(context.Background(), tokenConn(url, "ghp_example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range f.(*factory).identities {
		return c, id.v.cache
	}
	t.Fatal("the factory holds no identity")
	return nil, nil
}

// TestShapeKeepsWhatTheClientReads reads GitHub's example answers three ways: whole (cutting switched
// off), cut on a first read (200), and replayed from the cache (304). The client must decode the same
// values each time, while the cache keeps less.
func TestShapeKeepsWhatTheClientReads(t *testing.T) {
	g := NewWithT(t)
	gh := newExampleGitHub(t)
	srv := httptest.NewServer(gh)
	defer srv.Close()
	ctx := context.Background()
	read := func(c Client) []any {
		t.Helper()
		got, err := resyncReads(ctx, c, 7)
		g.Expect(err).NotTo(HaveOccurred())
		users, err := c.UserID(ctx, "octocat")
		g.Expect(err).NotTo(HaveOccurred())
		repos, err := c.ListOrgRepositories(ctx, "acme")
		g.Expect(err).NotTo(HaveOccurred())
		return append(got, users, repos)
	}
	stored := func(c *etagCache) (n int) {
		for _, el := range c.entries {
			n += el.Value.(*cacheEntry).rawLen
		}
		return n
	}

	cutAnswers = false
	t.Cleanup(func() { cutAnswers = true })
	whole, wholeCache := exampleClient(t, srv.URL)
	want := read(whole)
	cutAnswers = true
	cut, cutCache := exampleClient(t, srv.URL)
	first := read(cut)
	g.Expect(gh.notMods.Load()).To(BeZero())
	replayed := read(cut)
	g.Expect(gh.notMods.Load()).To(BeEquivalentTo(len(replayed)), "every second read is a 304")

	for i := range want {
		g.Expect(first[i]).To(Equal(want[i]), "read %d (%T), first answer", i, want[i])
		g.Expect(replayed[i]).To(Equal(want[i]), "read %d (%T), replayed answer", i, want[i])
	}
	// The example repository has an owner, a licence, permissions and topics; make sure the comparison
	// had something to compare.
	repo := want[0].(*Repository)
	g.Expect(repo.ID).To(BeEquivalentTo(100007))
	g.Expect(repo.Owner).To(Equal("octocat"))
	g.Expect(repo.Admin).NotTo(BeNil())
	g.Expect(want[len(want)-1]).To(HaveLen(1))

	g.Expect(len(cutCache.entries)).To(Equal(len(wholeCache.entries)))
	t.Logf("cache keeps %d bytes of answers cut to shape, %d whole", stored(cutCache), stored(wholeCache))
	g.Expect(stored(cutCache)).To(BeNumerically("<", stored(wholeCache)/3))
}

// TestCutToShape: what is not JSON, does not decode, or would not shrink is left as it came.
func TestCutToShape(t *testing.T) {
	type small struct {
		ID int64 `json:"id"`
	}
	typ := reflect.TypeOf(small{})
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"cut", "application/json; charset=utf-8", `{"id":1,"url":"https://api.github.com/x"}`, `{"id":1}`},
		{"GitHub's media type", "application/vnd.github+json", `{"id":1,"url":"u"}`, `{"id":1}`},
		{"not JSON", "application/vnd.github.raw", `{"id":1,"url":"u"}`, `{"id":1,"url":"u"}`},
		{"no content type", "", `{"id":1,"url":"u"}`, `{"id":1,"url":"u"}`},
		{"does not decode", "application/json", `{"id":"one","url":"u"}`, `{"id":"one","url":"u"}`},
		{"would not shrink", "application/json", `{"id":1}`, `{"id":1}`},
		{"HTML stays as it was", "application/json", `{"id":1,"x":"<>&"}`, `{"id":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(cutToShape(typ, tc.contentType, []byte(tc.body))); got != tc.want {
				t.Errorf("cutToShape(%s, %q) = %s; want %s", tc.contentType, tc.body, got, tc.want)
			}
		})
	}
	if got := string(cutToShape(nil, "application/json", []byte(`{"id":1,"url":"u"}`))); got != `{"id":1,"url":"u"}` {
		t.Errorf("without a type: %s", got)
	}
	type text struct {
		S string `json:"s"`
	}
	if got := string(cutToShape(reflect.TypeOf(text{}), "application/json", []byte(`{"s":"<a&b>","x":1}`))); got != `{"s":"<a&b>"}` {
		t.Errorf("HTML characters: %s", got)
	}
}

// BenchmarkETagCacheMemory measures what an identity's cache keeps for a fleet's resyncs: every read of
// 1,000 repositories with two environments (ci, production), GitHub's own example answers
// (testdata/resync-answers.json) made distinct per repository and environment, read through the client.
func BenchmarkETagCacheMemory(b *testing.B) {
	const repos = 1000
	srv := httptest.NewServer(newExampleGitHub(b))
	defer srv.Close()
	ctx := context.Background()
	var entries int
	for b.Loop() {
		c, cache := exampleClient(b, srv.URL)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range repos {
			if _, err := resyncReads(ctx, c, i); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		entries = len(cache.entries)
		var stored, raw int
		for _, el := range cache.entries {
			stored += len(el.Value.(*cacheEntry).body)
			raw += el.Value.(*cacheEntry).rawLen
		}
		b.ReportMetric(float64(stored)/repos, "stored-body-B/repo")
		b.ReportMetric(float64(raw)/repos, "cut-body-B/repo")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/repos, "heap-B/repo")
		b.ReportMetric(float64(cache.bytes)/repos, "counted-B/repo")
		runtime.KeepAlive(cache)
	}
	b.ReportMetric(float64(entries)/repos, "entries/repo")
}
