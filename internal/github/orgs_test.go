package github

import (
	"context"
	"fmt"
	"testing"

	"github.com/secure-pipeline/operator/test/githubsim"

	. "github.com/onsi/gomega"
)

func TestListOrgRepositories(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	// 250 repositories take three pages.
	for i := range 250 {
		f.sim.AddRepo("acme", fmt.Sprintf("svc-%03d", i))
	}
	f.sim.AddToken("ghp_org_wide", "*")
	f.sim.SetTopics("acme", "svc-007", "Production", "go")
	f.sim.UpdateRepo("acme", "svc-008", func(r *githubsim.RepoState) { r.Archived = true })
	f.sim.UpdateRepo("acme", "svc-009", func(r *githubsim.RepoState) { r.Private = false })
	c := f.client(t, "ghp_org_wide")

	repos, err := c.ListOrgRepositories(ctx, "acme")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(repos).To(HaveLen(251))
	byName := map[string]OrgRepository{}
	for _, r := range repos {
		byName[r.Name] = r
	}
	g.Expect(byName["svc-007"].Topics).To(Equal([]string{"production", "go"}))
	g.Expect(byName["svc-008"].Archived).To(BeTrue())
	g.Expect(byName["svc-009"].Visibility).To(Equal("public"))
	g.Expect(byName["widgets"].Visibility).To(Equal("private"))
	g.Expect(byName["widgets"].ID).To(Equal(f.repoID))

	// Listing again is all 304s: no primary rate limit spent.
	f.sim.ResetRequests()
	_, err = c.ListOrgRepositories(ctx, "acme")
	g.Expect(err).NotTo(HaveOccurred())
	// The simulator logs a request just after answering it.
	g.Eventually(f.sim.Requests).Should(HaveLen(3))
	for _, r := range f.sim.Requests() {
		g.Expect(r.Status).To(Equal(304), r.Path)
	}

	// A token sees only its repositories; an unknown organisation is NotFound.
	mine, err := f.client(t, tokAdmin).ListOrgRepositories(ctx, "acme")
	g.Expect(err).NotTo(HaveOccurred())
	names := make([]string, 0, len(mine))
	for _, r := range mine {
		names = append(names, r.Name)
	}
	g.Expect(names).To(ConsistOf("widgets", "svc-009"), "its repository, and the public one anyone can see")
	_, err = c.ListOrgRepositories(ctx, "nope")
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
}

func TestListCustomPropertyValues(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	f.sim.AddRepo("acme", "Billing")
	f.sim.AddToken("ghp_org_wide", "*")
	f.sim.SetCustomProperty("acme", "widgets", "Team", "payments")
	f.sim.SetCustomProperty("acme", "Billing", "regions", "eu", "us")

	vals, err := f.client(t, "ghp_org_wide").ListCustomPropertyValues(context.Background(), "acme")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vals).To(Equal(map[string]map[string][]string{
		"widgets": {"team": {"payments"}},
		"billing": {"regions": {"eu", "us"}},
	}))
}

func TestPropertyValue(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{`"a"`, []string{"a"}},
		{`["a","b"]`, []string{"a", "b"}},
		{`null`, nil},
		{``, nil},
		{`42`, nil},
	} {
		NewWithT(t).Expect(propertyValue([]byte(tc.raw))).To(Equal(tc.want), tc.raw)
	}
}
