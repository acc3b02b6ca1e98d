package githubsim

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// The git tree of the default branch lists every file with its blob sha and
// mode (symlinks 120000), answers 304 while nothing changes, and gets a new
// sha when a file below changes; blobs are served by sha.
func TestGitTreesAndBlobs(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	f.sim.SetSymlink("acme", "widgets", "docs/link", "../README.md")
	c := http.DefaultClient
	url := f.sim.URL() + "repos/acme/widgets/git/trees/main?recursive=1"

	first := do(t, c, "GET", url, tokAdmin, nil)
	g.Expect(first.Status).To(Equal(200))
	entries := map[string]map[string]any{}
	for _, e := range first.JSON()["tree"].([]any) {
		m := e.(map[string]any)
		entries[m["path"].(string)] = m
	}
	g.Expect(entries).To(HaveKey(".github/workflows/ci.yml"))
	g.Expect(entries[".github"]).To(HaveKeyWithValue("type", "tree"))
	g.Expect(entries["docs/link"]).To(HaveKeyWithValue("mode", "120000"))
	g.Expect(entries["README.md"]).To(HaveKeyWithValue("sha", gitBlobSHA([]byte("# widgets\n"))))
	g.Expect(first.JSON()).To(HaveKeyWithValue("truncated", false))

	// Not recursive: the top level only.
	top := do(t, c, "GET", f.sim.URL()+"repos/acme/widgets/git/trees/main", tokAdmin, nil)
	for _, e := range top.JSON()["tree"].([]any) {
		g.Expect(e.(map[string]any)["path"]).NotTo(ContainSubstring("/"))
	}

	g.Expect(do(t, c, "GET", url, tokAdmin, nil, "If-None-Match", first.Header.Get("ETag")).Status).To(Equal(304))
	f.sim.SetFile("acme", "widgets", ".github/workflows/ci.yml", []byte("on: pull_request\njobs: {}\n"))
	second := do(t, c, "GET", url, tokAdmin, nil, "If-None-Match", first.Header.Get("ETag"))
	g.Expect(second.Status).To(Equal(200))
	g.Expect(second.JSON()["sha"]).NotTo(Equal(first.JSON()["sha"]))

	blobURL := f.sim.URL() + "repos/acme/widgets/git/blobs/"
	blob := do(t, c, "GET", blobURL+entries["docs/link"]["sha"].(string), tokAdmin, nil)
	g.Expect(blob.Status).To(Equal(200))
	content, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(blob.JSON()["content"].(string), "\n", ""))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(content)).To(Equal("../README.md"))

	// Other repositories' blobs are not served through this one.
	f.sim.SetFile("acme", "gadgets", "secret.txt", []byte("gadgets only"))
	g.Expect(do(t, c, "GET", blobURL+gitBlobSHA([]byte("gadgets only")), tokAdmin, nil).Status).To(Equal(404))
	g.Expect(do(t, c, "GET", f.sim.URL()+"repos/acme/gadgets/git/trees/main", tokNone, nil).Status).To(Equal(404))
}
