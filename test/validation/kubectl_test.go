package validation

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// kubectl runs the control plane's kubectl against the test API server.
func kubectl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	k := env.Env.ControlPlane.KubeCtl()
	stdout, stderr, err := k.Run(args...)
	out, _ := io.ReadAll(stdout)
	errOut, _ := io.ReadAll(stderr)
	return string(out) + string(errOut), err
}

// kubectl explain reads as a manual: every field of the spec is documented.
func TestKubectlExplainDocumentsTheSpec(t *testing.T) {
	g := NewWithT(t)
	var out string
	// The API server publishes a new CRD's OpenAPI schema a moment after the CRD is established.
	g.Eventually(func() error {
		var err error
		out, err = kubectl(t, "explain", "securepipeline.spec", "--recursive")
		return err
	}).WithTimeout(30*time.Second).WithPolling(500*time.Millisecond).Should(Succeed(), func() string { return out })
	for _, field := range []string{"repository", "github", "apiURL", "credentialsSecretRef", "actions", "shaPinning",
		"environments", "reviewers", "preventSelfReview", "waitTimerMinutes", "deploymentBranches", "registries",
		"externalSecretRef", "secretNames", "rotateEvery", "dco", "statusCheck", "workflowAudit", "disabledRules",
		"deletionPolicy", "suspend"} {
		g.Expect(out).To(ContainSubstring(field))
	}
	out, err := kubectl(t, "explain", "securepipeline.spec.registries.tier")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("required reviewers, both in the spec (checked at"))
	out, err = kubectl(t, "explain", "spl.spec.environments.reviewers")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("must approve a job that uses this environment"))
}

// Each broken sample is refused by kubectl apply with a message naming the field; the good sample applies.
func TestKubectlApplyRefusesBrokenSamples(t *testing.T) {
	out, err := kubectl(t, "apply", "--dry-run=server", "-n", "default", "-f",
		filepath.Join("..", "..", "config", "samples", "ci_v1alpha1_securepipeline.yaml"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), out)

	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no broken samples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g := NewWithT(t)
			want := expectedRefusal(t, f)
			out, err := kubectl(t, "apply", "--dry-run=server", "-n", "default", "-f", f)
			g.Expect(err).To(HaveOccurred(), "kubectl apply accepted %s:\n%s", f, out)
			g.Expect(out).To(ContainSubstring(want))
		})
	}
}

// expectedRefusal reads the "# refused: <text>" header of a broken sample.
func expectedRefusal(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# refused: "); ok {
			return rest
		}
	}
	t.Fatalf("%s has no '# refused: ' header", path)
	return ""
}
