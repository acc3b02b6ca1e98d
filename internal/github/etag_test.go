package github

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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

// No two different GETs share a cache entry: not the raw and JSON representations of a file, not the
// same path on another host, not another page.
func TestCacheKeyTellsRequestsApart(t *testing.T) {
	req := func(url, accept string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		return r
	}
	const api = "https://api.github.com/repos/acme/web/contents/.github/workflows/ci.yml"
	reqs := []*http.Request{
		req(api, defaultAccept),
		req(api, "application/vnd.github.raw"),
		req(api, ""),
		req("https://api.github.example/repos/acme/web/contents/.github/workflows/ci.yml", defaultAccept),
		req("https://api.github.com/repos/acme/web/contents/.github/workflows/ci.yml?ref=main", defaultAccept),
		req("https://api.github.com/orgs/acme/repos?per_page=100&page=1", defaultAccept),
		req("https://api.github.com/orgs/acme/repos?per_page=100&page=2", defaultAccept),
	}
	seen := map[string]int{}
	for i, r := range reqs {
		k := cacheKey(r)
		if j, ok := seen[k]; ok {
			t.Errorf("requests %d and %d (%s, Accept %q) share the key %q", j, i, r.URL, r.Header.Get("Accept"), k)
		}
		seen[k] = i
	}
}

// The shared DEFLATE writer (about 1 MiB) is let go once no answer has come for deflaterIdle, and made
// again for the next one; entries compressed before and after inflate to what was stored.
func TestDeflaterIsDroppedWhenIdle(t *testing.T) {
	g := NewWithT(t)
	idle := deflaterIdle
	deflaterIdle = 20 * time.Millisecond
	t.Cleanup(func() { deflaterIdle = idle })
	body := []byte(strings.Repeat(`{"name":"svc","url":"https://api.github.com/repos/acme/svc"},`, 50))
	c := newETagCache(0)
	c.put(&cacheEntry{key: "a", path: "/a", etag: `"a"`, header: http.Header{}, body: body})
	held := func() bool { deflaterMu.Lock(); defer deflaterMu.Unlock(); return deflater != nil }
	g.Expect(held()).To(BeTrue())
	g.Eventually(held).WithTimeout(2 * time.Second).Should(BeFalse())
	c.put(&cacheEntry{key: "b", path: "/b", etag: `"b"`, header: http.Header{}, body: body})
	for _, k := range []string{"a", "b"} {
		e := c.get(k)
		g.Expect(e.deflated).To(BeTrue(), k)
		got, err := e.content()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(body), k)
	}
}
