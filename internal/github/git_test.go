package github

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
)

// The tree of the default branch, read through the ETag cache: the second read of an unchanged tree is
// one conditional request answered 304, with the same entries. Blobs are read by sha and checked.
func TestGitTreeAndBlob(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	mk := []byte("release:\n\tdocker push ghcr.io/acme/app\n")
	f.sim.SetFile("acme", "widgets", ".github/workflows/ci.yml", []byte("on: push\n"))
	f.sim.SetFile("acme", "widgets", "Makefile", mk)
	f.sim.SetSymlink("acme", "widgets", "GNUmakefile", "Makefile")

	tree, err := c.GitTree(ctx, "acme", "widgets", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tree.Truncated).To(BeFalse())
	g.Expect(tree.Entries).To(ContainElements(
		GitTreeEntry{Path: "Makefile", Mode: "100644", Type: "blob", SHA: GitBlobSHA(mk), Size: int64(len(mk))},
		GitTreeEntry{Path: "GNUmakefile", Mode: GitModeSymlink, Type: "blob", SHA: GitBlobSHA([]byte("Makefile")), Size: 8},
		HaveField("Path", ".github/workflows"),
	))

	f.sim.ResetRequests()
	again, err := c.GitTree(ctx, "acme", "widgets", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(tree))
	reqs := f.sim.Requests()
	g.Expect(reqs).To(HaveLen(1))
	g.Expect(reqs[0].Route).To(Equal("GET /repos/{owner}/{repo}/git/trees/{tree_sha}"))
	g.Expect(reqs[0].Conditional).To(BeTrue())
	g.Expect(reqs[0].Status).To(Equal(304))

	blob, err := c.GitBlob(ctx, "acme", "widgets", GitBlobSHA(mk))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(blob).To(Equal(mk))
	_, err = c.GitBlob(ctx, "acme", "widgets", GitBlobSHA([]byte("nope")))
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)

	_, err = c.GitTree(ctx, "acme", "widgets", "no-such-branch", true)
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
}

// A large repository's tree (over the 1 MiB most answers are cached up to) is still revalidated.
func TestLargeGitTreeIsRevalidated(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	for i := range 6000 {
		f.sim.SetFile("acme", "widgets", fmt.Sprintf("src/some/fairly/deep/package/path/number-%05d/file.go", i), []byte("package p\n"))
	}
	tree, err := c.GitTree(ctx, "acme", "widgets", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(tree.Entries)).To(BeNumerically(">", 6000))
	f.sim.ResetRequests()
	_, err = c.GitTree(ctx, "acme", "widgets", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	reqs := f.sim.Requests()
	g.Expect(reqs).To(HaveLen(1))
	g.Expect(reqs[0].Status).To(Equal(304))
}
