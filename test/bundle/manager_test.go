package bundle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/hack/bundlegen/gen"
)

var flagDef = regexp.MustCompile(`flag\.(?:String|Bool|Int|Int64|Uint|Float64|Duration)Var\(\s*&\w+,\s*"([a-z0-9-]+)"`)

// Every flag the install manifests pass to the manager is one cmd/main.go defines: a renamed or removed
// flag would crash the pod at start ("flag provided but not defined") and no other test would notice.
func TestManagerDefinesTheDeploymentsFlags(t *testing.T) {
	g := NewWithT(t)
	src, err := os.ReadFile(filepath.Join(root, "cmd", "main.go"))
	g.Expect(err).NotTo(HaveOccurred())
	defined := map[string]bool{}
	for _, m := range flagDef.FindAllStringSubmatch(string(src), -1) {
		defined[m[1]] = true
	}
	g.Expect(defined).NotTo(BeEmpty())

	deployments := ofKind(render(t, "config/default"), "Deployment")
	g.Expect(deployments).To(HaveLen(1))
	containers, _ := gen.Get(deployments[0], "spec", "template", "spec", "containers").([]any)
	g.Expect(containers).NotTo(BeEmpty())
	args, _ := containers[0].(map[string]any)["args"].([]any)
	g.Expect(args).NotTo(BeEmpty())
	var names []string
	for _, a := range args {
		s, _ := a.(string)
		g.Expect(s).To(HavePrefix("--"))
		name, _, _ := strings.Cut(strings.TrimPrefix(s, "--"), "=")
		names = append(names, name)
		g.Expect(defined).To(HaveKey(name), "cmd/main.go defines no flag %q that config/ passes", name)
	}
	for _, want := range []string{"leader-elect", "metrics-bind-address", "health-probe-bind-address",
		"github-api-url", "sync-period", "watch-namespaces"} {
		g.Expect(names).To(ContainElement(want))
	}
}

// The image is a static build of ./cmd on distroless, as a numeric non-root user (runAsNonRoot checks it).
func TestDockerfile(t *testing.T) {
	g := NewWithT(t)
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	g.Expect(err).NotTo(HaveOccurred())
	df := string(b)
	g.Expect(df).To(MatchRegexp(`(?m)^RUN CGO_ENABLED=0 .*go build .* ./cmd$`))
	g.Expect(df).To(MatchRegexp(`(?m)^FROM gcr.io/distroless/static:nonroot$`))
	g.Expect(df).To(MatchRegexp(`(?m)^USER 65532:65532$`))
	g.Expect(df).To(MatchRegexp(`(?m)^ENTRYPOINT \["/manager"\]$`))

	// The Deployment runs that entrypoint.
	deployments := ofKind(render(t, "config/default"), "Deployment")
	containers, _ := gen.Get(deployments[0], "spec", "template", "spec", "containers").([]any)
	g.Expect(containers[0].(map[string]any)["command"]).To(Equal([]any{"/manager"}))
}
