package githubsim

import (
	"os"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const servedOpsFile = "testdata/served-operations.txt"

// servedOpsText renders the route table as served-operations.txt: the
// operations of GitHub's description the simulator serves, one per line.
func servedOpsText() string {
	set := map[string]bool{}
	for _, op := range ServedOperations() {
		set[op.Method+" "+op.SpecPath] = true
	}
	var lines []string
	for k := range set {
		lines = append(lines, k)
	}
	sort.Slice(lines, func(i, j int) bool {
		pi, pj := strings.SplitN(lines[i], " ", 2)[1], strings.SplitN(lines[j], " ", 2)[1]
		if pi != pj {
			return pi < pj
		}
		return lines[i] < lines[j]
	})
	return "# Operations of GitHub's REST API description served by the simulator.\n" +
		"# Generated from the route table (routes.go): GITHUBSIM_UPDATE=1 go test -run TestServedOperationsFile ./test/githubsim/\n" +
		"# Read by hack/extract-openapi.sh.\n" + strings.Join(lines, "\n") + "\n"
}

// TestServedOperationsFile keeps the list the extraction script reads equal
// to the route table, so the two cannot drift apart.
func TestServedOperationsFile(t *testing.T) {
	g := NewWithT(t)
	want := servedOpsText()
	if os.Getenv("GITHUBSIM_UPDATE") == "1" {
		g.Expect(os.WriteFile(servedOpsFile, []byte(want), 0o644)).To(Succeed())
	}
	got, err := os.ReadFile(servedOpsFile)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal(want), "served-operations.txt is stale: run GITHUBSIM_UPDATE=1 go test -run TestServedOperationsFile ./test/githubsim/ and then hack/extract-openapi.sh")
}

func TestRouterMatching(t *testing.T) {
	g := NewWithT(t)
	rt := newRouter(routeTable())
	cases := []struct {
		method, path, want string
		params             []string
	}{
		{"GET", "/repos/o/r", "GET /repos/{owner}/{repo}", []string{"o", "r"}},
		{"GET", "/repos/o/r/environments/prod/secrets/public-key", "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key", []string{"o", "r", "prod"}},
		{"PUT", "/repos/o/r/environments/prod/secrets/TOKEN", "PUT /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}", []string{"o", "r", "prod", "TOKEN"}},
		{"GET", "/repos/o/r/environments/my%20env", "GET /repos/{owner}/{repo}/environments/{environment_name}", []string{"o", "r", "my env"}},
		{"GET", "/repos/o/r/contents/.github/workflows/ci.yml", "GET /repos/{owner}/{repo}/contents/{path}", []string{"o", "r", ".github/workflows/ci.yml"}},
		{"GET", "/repos/o/r/contents/", "GET /repos/{owner}/{repo}/contents/{path}", []string{"o", "r", ""}},
		{"GET", "/repos/o/r/contents", "GET /repos/{owner}/{repo}/contents/{path}", []string{"o", "r", ""}},
		{"GET", "/repositories/7/environments/e/secrets", "GET /repositories/{repository_id}/environments/{environment_name}/secrets", []string{"7", "e"}},
	}
	for _, c := range cases {
		r, params, _ := rt.match(c.method, c.path)
		g.Expect(r).NotTo(BeNil(), c.path)
		g.Expect(r.key).To(Equal(c.want), c.path)
		g.Expect(params).To(Equal(c.params), c.path)
	}
	r, _, methodSeen := rt.match("POST", "/repos/o/r")
	g.Expect(r).To(BeNil())
	g.Expect(methodSeen).To(BeTrue())
	r, _, _ = rt.match("GET", "/repos/o/r/nope")
	g.Expect(r).To(BeNil())
}
