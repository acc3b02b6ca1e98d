package controller

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/audit"
	githubapi "github.com/secure-pipeline/operator/internal/github"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// treeFS over the simulator's git tree: it behaves as a file system (fstest.TestFS), follows links only
// inside the tree, downloads nothing for a listing or a Stat, and keeps blobs by sha across audits.
func TestTreeFS(t *testing.T) {
	g := NewWithT(t)
	sim := githubsim.New().Start()
	t.Cleanup(sim.Close)
	sim.AddOrg("acme")
	sim.AddRepo("acme", "web")
	sim.AddToken("ghp_tree", "acme/web")
	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte("on: push\npermissions: {}\njobs:\n  r:\n    runs-on: x\n    steps:\n      - run: make\n"))
	sim.SetFile("acme", "web", "mk/Makefile", []byte("all:\n\tdocker push ghcr.io/acme/web\n"))
	sim.SetSymlink("acme", "web", "Makefile", "mk/Makefile")
	ctx := context.Background()
	gh, err := githubapi.NewFactory(githubapi.FactoryOptions{}).ClientFor(ctx, githubapi.Connection{
		APIURL: sim.URL(), SecretKey: "ns/github", SecretVersion: "1", Credentials: githubapi.Credentials{Token: "ghp_tree"}})
	g.Expect(err).NotTo(HaveOccurred())
	tree, err := gh.GitTree(ctx, "acme", "web", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	blobs := newBlobCache(1 << 20)

	sim.ResetRequests()
	fsys := newTreeFS(ctx, gh, sim.URL(), "acme", "web", tree, blobs)
	entries, err := fs.ReadDir(fsys, ".github/workflows")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1))
	info, err := fs.Stat(fsys, "mk/Makefile")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Size()).To(Equal(int64(len("all:\n\tdocker push ghcr.io/acme/web\n"))))
	g.Expect(sim.RequestCounts()).To(BeEmpty(), "listing and stat come from the tree")

	g.Expect(fstest.TestFS(fsys, ".github/workflows/release.yml", "mk/Makefile")).To(Succeed())

	sim.SetSymlink("acme", "web", "hack/evil.sh", "../../etc/passwd")
	evilTree, err := gh.GitTree(ctx, "acme", "web", "main", true)
	g.Expect(err).NotTo(HaveOccurred())
	fsys = newTreeFS(ctx, gh, sim.URL(), "acme", "web", evilTree, blobs)
	_, err = fs.ReadFile(fsys, "hack/evil.sh")
	g.Expect(err).To(MatchError(ContainSubstring("symbolic link out of the repository")))
	g.Expect(fsys.err).NotTo(HaveOccurred(), "a refused link is not a GitHub error")

	res := audit.AuditRepository(fsys, audit.Options{})
	g.Expect(res.Inventory).To(HaveLen(1), "make follows the Makefile link inside the tree")
	g.Expect(res.Inventory[0].Images).To(Equal([]string{"ghcr.io/acme/web"}))

	// A second audit of the same tree downloads nothing.
	sim.ResetRequests()
	again := audit.AuditRepository(newTreeFS(ctx, gh, sim.URL(), "acme", "web", evilTree, blobs), audit.Options{})
	g.Expect(again.Inventory).To(Equal(res.Inventory))
	g.Expect(sim.RequestCounts()).To(BeEmpty())

	// A blob GitHub cannot serve is an error of the audit, kept for the reconcile to retry.
	sim.SetFault("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", githubsim.Fault{Status: 502, Count: 100})
	broken := newTreeFS(ctx, gh, sim.URL(), "acme", "web", evilTree, newBlobCache(1<<20))
	_ = audit.AuditRepository(broken, audit.Options{})
	g.Expect(broken.err).To(HaveOccurred())
}

func TestBlobCacheBound(t *testing.T) {
	g := NewWithT(t)
	c := newBlobCache(80)
	c.put("a", make([]byte, 10))
	c.put("huge", make([]byte, 11)) // over maxBytes/8: not kept
	_, ok := c.get("huge")
	g.Expect(ok).To(BeFalse())
	for _, k := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		c.put(k, make([]byte, 10))
	}
	_, ok = c.get("a")
	g.Expect(ok).To(BeFalse(), "least recently used goes first")
	_, ok = c.get("i")
	g.Expect(ok).To(BeTrue())
	g.Expect(c.bytes).To(BeNumerically("<=", 80))
}
