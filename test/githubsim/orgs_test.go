package githubsim

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
)

// contractOrganizations drives the organisation routes for TestContract: listing with topics,
// visibility and archived, pagination, type filters, custom property values of every shape, and the
// 404s for unknown organisations, users that are not organisations and anonymous property reads.
func contractOrganizations(g Gomega, k *contract, s *Server) {
	s.SetTopics("acme", "widgets", "Go", "production")
	s.UpdateRepo("acme", "gadgets", func(r *RepoState) { r.Archived, r.Internal = true, true })
	s.SetCustomProperty("acme", "widgets", "team", "payments")
	s.SetCustomProperty("acme", "widgets", "regions", "eu", "us")

	g.Expect(k.call("GET", "/orgs/acme/repos", tokAdmin, nil).Status).To(Equal(200))
	paged := "/orgs/acme/repos?type=all&sort=full_name&per_page=1&page=1"
	g.Expect(k.call("GET", paged, tokAdmin, nil).Status).To(Equal(200))
	g.Expect(k.call("GET", "/orgs/acme/repos?type=private", tokAdmin, nil).Status).To(Equal(200))
	g.Expect(k.call("GET", "/orgs/acme/repos", "", nil).Status).To(Equal(200))
	g.Expect(k.call("GET", "/orgs/nope/repos", tokAdmin, nil).Status).To(Equal(404))
	g.Expect(k.call("GET", "/orgs/alice/repos", tokAdmin, nil).Status).To(Equal(404))
	g.Expect(k.call("GET", "/orgs/acme/properties/values", tokAdmin, nil).Status).To(Equal(200))
	g.Expect(k.call("GET", "/orgs/acme/properties/values?per_page=1&page=1", tokAdmin, nil).Status).To(Equal(200))
	g.Expect(k.call("GET", "/orgs/acme/properties/values", "", nil).Status).To(Equal(404))
	g.Expect(k.call("GET", "/orgs/nope/properties/values", tokAdmin, nil).Status).To(Equal(404))
}

func TestOrgRepositories(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	s := f.sim
	s.AddToken("ghp_all", "*")
	s.SetTopics("acme", "widgets", "Go")
	s.UpdateRepo("acme", "gadgets", func(r *RepoState) { r.Archived, r.Internal = true, true })
	s.SetCustomProperty("acme", "widgets", "team", "payments")
	s.SetCustomProperty("acme", "widgets", "regions", "eu", "us")

	names := func(token string) []string {
		resp := do(t, nil, "GET", s.URL()+"orgs/acme/repos?sort=full_name", token, nil)
		g.Expect(resp.Status).To(Equal(200))
		list := decodeList(t, resp.Body)
		out := make([]string, 0, len(list))
		for _, r := range list {
			out = append(out, r["name"].(string)+"/"+r["visibility"].(string))
		}
		return out
	}
	// A token sees the repositories it has access to; anonymous callers see none of acme's private ones.
	g.Expect(names("ghp_all")).To(Equal([]string{"gadgets/internal", "widgets/private"}))
	g.Expect(names(tokAdmin)).To(Equal([]string{"widgets/private"}))
	g.Expect(names("")).To(BeEmpty())

	resp := do(t, nil, "GET", s.URL()+"orgs/acme/repos", "ghp_all", nil)
	list := decodeList(t, resp.Body)
	byName := map[string]map[string]any{}
	for _, r := range list {
		byName[r["name"].(string)] = r
	}
	g.Expect(byName["widgets"]["topics"]).To(Equal([]any{"go"}))
	g.Expect(byName["gadgets"]["archived"]).To(BeTrue())

	// Property values: a string for one value, an array for a multi-select.
	pv := do(t, nil, "GET", s.URL()+"orgs/acme/properties/values", "ghp_all", nil)
	g.Expect(pv.Status).To(Equal(200))
	g.Expect(string(pv.Body)).To(ContainSubstring(`{"property_name":"regions","value":["eu","us"]}`))
	g.Expect(string(pv.Body)).To(ContainSubstring(`{"property_name":"team","value":"payments"}`))

	// Repositories added and removed at run time show in the next listing.
	s.AddRepo("acme", "new-svc")
	s.DeleteRepo("acme", "widgets")
	g.Expect(names("ghp_all")).To(Equal([]string{"gadgets/internal", "new-svc/private"}))
	_, ok := s.Repo("acme", "widgets")
	g.Expect(ok).To(BeFalse())

	// Writes to an archived repository are refused, as GitHub makes it read-only.
	archived := s.URL() + "repos/acme/gadgets/environments/ci"
	g.Expect(do(t, nil, "PUT", archived, "ghp_all", map[string]any{}).Status).To(Equal(403))

}

func decodeList(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decoding a list: %v: %s", err, body)
	}
	return out
}
