package fleet

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

func TestSelectRepositories(t *testing.T) {
	repos := []githubapi.OrgRepository{
		{Name: "svc-a", Visibility: "private", Topics: []string{"go", "production"}},
		{Name: "SVC-B", Visibility: "public", Topics: []string{"go"}},
		{Name: "svc-c", Visibility: "private", Topics: []string{"production"}, Archived: true},
		{Name: "web", Visibility: "internal"},
		{Name: "docs", Visibility: "public"},
	}
	props := map[string]map[string][]string{
		"svc-a": {"team": {"payments"}},
		"svc-b": {"team": {"platform"}, "regions": {"eu", "us"}},
		"web":   {"team": {"Payments"}},
	}
	for _, tc := range []struct {
		name string
		sel  civ1alpha1.RepositorySelector
		want []string
	}{
		{"no filter: all but archived", civ1alpha1.RepositorySelector{}, []string{"svc-a", "SVC-B", "web", "docs"}},
		{"globs are case-insensitive, any matches", civ1alpha1.RepositorySelector{Names: []string{"svc-*", "DOC?"}}, []string{"svc-a", "SVC-B", "docs"}},
		{"a glob does not match a prefix only", civ1alpha1.RepositorySelector{Names: []string{"svc"}}, nil},
		{"character classes", civ1alpha1.RepositorySelector{Names: []string{"svc-[ab]"}}, []string{"svc-a", "SVC-B"}},
		{"topics: all of them", civ1alpha1.RepositorySelector{Topics: []string{"go", "production"}}, []string{"svc-a"}},
		{"topics are compared lower-case", civ1alpha1.RepositorySelector{Topics: []string{"GO"}}, []string{"svc-a", "SVC-B"}},
		{"archived only when asked", civ1alpha1.RepositorySelector{Topics: []string{"production"}, IncludeArchived: true}, []string{"svc-a", "svc-c"}},
		{"property values compare exactly", civ1alpha1.RepositorySelector{Properties: []civ1alpha1.PropertySelector{{Name: "Team", Values: []string{"payments"}}}}, []string{"svc-a"}},
		{"multi-select: any value", civ1alpha1.RepositorySelector{Properties: []civ1alpha1.PropertySelector{{Name: "regions", Values: []string{"us", "ap"}}}}, []string{"SVC-B"}},
		{"every property must match", civ1alpha1.RepositorySelector{Properties: []civ1alpha1.PropertySelector{
			{Name: "team", Values: []string{"platform"}}, {Name: "regions", Values: []string{"ap"}}}}, nil},
		{"visibility", civ1alpha1.RepositorySelector{Visibility: []civ1alpha1.Visibility{"internal", "public"}}, []string{"SVC-B", "web", "docs"}},
		{"filters combine", civ1alpha1.RepositorySelector{Names: []string{"svc-*"}, Visibility: []civ1alpha1.Visibility{"public"}}, []string{"SVC-B"}},
		{"include bypasses filters, not archived", civ1alpha1.RepositorySelector{Names: []string{"none"}, Include: []string{"WEB", "svc-c"}}, []string{"web"}},
		{"exclude wins over include", civ1alpha1.RepositorySelector{Include: []string{"web"}, Exclude: []string{"Web", "docs"}}, []string{"svc-a", "SVC-B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(CheckSelector(&tc.sel)).To(Succeed())
			var got []string
			for _, r := range Select(&tc.sel, repos, props) {
				got = append(got, r.Name)
			}
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestCheckSelector(t *testing.T) {
	g := NewWithT(t)
	err := CheckSelector(&civ1alpha1.RepositorySelector{Names: []string{"ok-*", "svc-["}})
	g.Expect(err).To(MatchError(ContainSubstring(`spec.selector.names[1] "svc-["`)))
}

func TestChildName(t *testing.T) {
	g := NewWithT(t)
	for repo, want := range map[string]string{
		"web":                    "web",
		"Web":                    "web", // one repository on GitHub, one child
		"payments-api":           "payments-api",
		strings.Repeat("a", 100): strings.Repeat("a", 100),
	} {
		g.Expect(ChildName(repo)).To(Equal(want), repo)
	}
	// Names that are not object names get a dot and a hash, so look-alikes stay apart and never collide
	// with a plain name (which has no dot).
	lookalikes := []string{"api.v2", "api_v2", "API_V2x", ".github", "-x-", "___", "a.b.c"}
	seen := map[string]string{"api-v2": "api-v2"}
	for _, repo := range lookalikes {
		n := ChildName(repo)
		g.Expect(validation.IsDNS1123Subdomain(n)).To(BeEmpty(), "%q -> %q", repo, n)
		g.Expect(n).To(ContainSubstring("."), repo)
		g.Expect(seen).NotTo(HaveKey(n), "%q and %q share the name %q", repo, seen[n], n)
		seen[n] = repo
		g.Expect(ChildName(repo)).To(Equal(n), "stable")
	}
	g.Expect(ChildName("api_v2")).To(Equal(ChildName("API_V2")), "case-insensitive like GitHub")
	g.Expect(ChildName(".github")).To(HavePrefix("github."))
	g.Expect(ChildName("___")).To(HavePrefix("repo."))
}

func TestBounded(t *testing.T) {
	g := NewWithT(t)
	items := make([]int, 120)
	kept, omitted := Bounded(items)
	g.Expect(kept).To(HaveLen(civ1alpha1.MaxSetStatusEntries))
	g.Expect(omitted).To(Equal(int32(70)))
	kept, omitted = Bounded(items[:3])
	g.Expect(kept).To(HaveLen(3))
	g.Expect(omitted).To(BeZero())
}
