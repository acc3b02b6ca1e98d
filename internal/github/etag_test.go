package github

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// The cache keeps bodies compactly (GitHub's JSON compressed, anything else in a slice of exactly its
// length, never io.ReadAll's doubled buffer) and replays them byte for byte; the byte bound counts what
// is kept.
func TestETagCacheKeepsBodiesCompactly(t *testing.T) {
	random := make([]byte, 4000)
	_, _ = rand.Read(random)
	repoJSON := []byte(`{"id":1,"name":"web","full_name":"acme/web","url":"https://api.github.com/repos/acme/web",` +
		strings.Repeat(`"x_url":"https://api.github.com/repos/acme/web/x{/number}",`, 60) + `"private":true}`)
	for _, tc := range []struct {
		name      string
		body      []byte
		deflated  bool
		maxStored int
	}{
		{"GitHub's JSON is compressed", repoJSON, true, len(repoJSON) / 4},
		{"random bytes are kept as they are", random, false, len(random)},
		{"an empty body", []byte{}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			c := newETagCache(0)
			// As readBody leaves it: a buffer with room to spare.
			body := append(make([]byte, 0, 2*len(tc.body)+64), tc.body...)
			c.put(&cacheEntry{key: "k", path: "/repos/acme/web", etag: `"1"`, header: http.Header{"Content-Type": {"application/json"}}, body: body})
			e := c.get("k")
			g.Expect(e).NotTo(BeNil())
			g.Expect(e.deflated).To(Equal(tc.deflated))
			g.Expect(len(e.body)).To(BeNumerically("<=", tc.maxStored))
			g.Expect(cap(e.body)).To(BeNumerically("<=", len(e.body)+len(e.body)/8+16), "no spare capacity kept (beyond the allocator's size class)")
			g.Expect(c.bytes).To(Equal(e.size()))
			resp, err := e.response(&http.Request{})
			g.Expect(err).NotTo(HaveOccurred())
			got, _ := io.ReadAll(resp.Body)
			g.Expect(bytes.Equal(got, tc.body)).To(BeTrue(), "the replay differs from the answer")
			g.Expect(resp.ContentLength).To(BeEquivalentTo(len(tc.body)))
			// Replays are independent: one's reader does not drain another's.
			again, _ := e.response(&http.Request{})
			got2, _ := io.ReadAll(again.Body)
			g.Expect(bytes.Equal(got2, tc.body)).To(BeTrue())
		})
	}
}

// An organisation's 100-repository page is over 1 MiB of JSON, but kept compressed it is cached, so
// listing the organisation again costs 304s.
func TestLargeCompressibleAnswersAreCached(t *testing.T) {
	g := NewWithT(t)
	c := newETagCache(0, 64<<20)
	page := []byte("[" + strings.Repeat(`{"id":1,"name":"svc","url":"https://api.github.com/repos/acme/svc","private":true},`, 20000) + "{}]")
	g.Expect(len(page)).To(BeNumerically(">", maxCachedBody))
	c.put(&cacheEntry{key: "page", path: "/orgs/acme/repos", etag: `"p"`, header: http.Header{}, body: page})
	g.Expect(c.get("page")).NotTo(BeNil())
}

// BenchmarkETagReplay is the cost of answering a 304 from a compressed entry.
func BenchmarkETagReplay(b *testing.B) {
	body := []byte(`{"id":1,` + strings.Repeat(`"x_url":"https://api.github.com/repos/acme/web/x{/number}",`, 80) + `"private":true}`)
	c := newETagCache(0)
	c.put(&cacheEntry{key: "k", path: "/repos/acme/web", etag: `"1"`, header: http.Header{}, body: body})
	e := c.get("k")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.response(&http.Request{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.body)), "stored-bytes")
	b.ReportMetric(float64(len(body)), "body-bytes")
}

// BenchmarkETagCacheMemory measures what the cache keeps for a fleet's resyncs: every read of a
// repository with two environments (ci, production), with GitHub's own example answers
// (testdata/resync-answers.json) made distinct per repository and environment, and a weak ETag each.
func BenchmarkETagCacheMemory(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "resync-answers.json"))
	if err != nil {
		b.Fatal(err)
	}
	var fixture struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		b.Fatal(err)
	}
	const repos = 1000
	type read struct{ path, body string }
	reads := func(i int) []read {
		owner, repo, id := "acme", fmt.Sprintf("svc-%04d", i), strconv.Itoa(100000+i)
		var out []read
		for route, body := range fixture.Answers {
			envs := []string{""}
			if strings.Contains(route, "{environment_name}") {
				envs = []string{"ci", "production"}
			}
			for _, env := range envs {
				p := strings.NewReplacer("{owner}", owner, "{repo}", repo, "{repository_id}", id, "{environment_name}", env).
					Replace(strings.TrimPrefix(route, "GET "))
				bd := strings.NewReplacer("octocat/Hello-World", owner+"/"+repo, "Hello-World", repo, "1296269", id,
					"staging", env).Replace(string(body))
				out = append(out, read{p, bd})
			}
		}
		return out
	}
	var entries int
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := newETagCache(0, 1<<30)
		for i := range repos {
			for _, r := range reads(i) {
				u := "https://api.github.com" + r.path
				req, _ := http.NewRequest(http.MethodGet, u, nil)
				req.Header.Set("Accept", "application/vnd.github.v3+json")
				h := http.Header{}
				h.Set("Content-Type", "application/json; charset=utf-8")
				h.Set("ETag", fmt.Sprintf(`W/"%064x"`, i*31+len(r.path)))
				h.Set("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")
				h.Set("X-GitHub-Request-Id", "CAFE:1234:5678:9ABC:DEF0")
				c.put(&cacheEntry{key: cacheKey(req), path: req.URL.EscapedPath(), etag: h.Get("ETag"), header: h, body: []byte(r.body)})
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		entries = len(c.entries)
		var stored int
		for _, el := range c.entries {
			stored += len(el.Value.(*cacheEntry).body)
		}
		b.ReportMetric(float64(stored)/repos, "stored-body-B/repo")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/repos, "heap-B/repo")
		b.ReportMetric(float64(c.bytes)/repos, "counted-B/repo")
		runtime.KeepAlive(c)
	}
	b.ReportMetric(float64(entries)/repos, "entries/repo")
	var raw0 int
	for _, r := range reads(0) {
		raw0 += len(r.body)
	}
	b.ReportMetric(float64(raw0), "body-B/repo")
}
