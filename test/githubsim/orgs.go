package githubsim

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// This file serves an organisation's repository list (GET /orgs/{org}/repos, minimal-repository items
// with topics, visibility and archived) and its custom property values (GET /orgs/{org}/properties/values),
// and lets tests add, change and remove repositories while a test runs.

const (
	docsOrgRepos       = "https://docs.github.com/rest/repos/repos#list-organization-repositories"
	docsPropertyValues = "https://docs.github.com/rest/orgs/custom-properties" +
		"#list-custom-property-values-for-organization-repositories"
)

// visibility is "public", "private" or "internal" (a private repository marked Internal).
func (r *repo) visibility() string {
	switch {
	case !r.Private:
		return "public"
	case r.Internal:
		return "internal"
	default:
		return "private"
	}
}

// topics never renders null: GitHub sends [] for a repository without topics.
func (r *repo) topics() []string {
	if r.Topics == nil {
		return []string{}
	}
	return r.Topics
}

// orgRepos returns the repositories the caller can see of the organisation named by the path, or a 404.
func (c *call) orgRepos(doc string) ([]*repo, *reply) {
	org := c.s.st.accounts[strings.ToLower(c.param("org"))]
	if org == nil || org.Type != "Organization" {
		return nil, notFound(doc)
	}
	var out []*repo
	for _, r := range c.s.st.repos {
		if r.owner == org && c.canSee(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// listOrgRepos lists the organisation's repositories the caller can see: public ones for anyone, private
// and internal ones for credentials with access. type filters (all, public, private); sort=full_name
// lists by name ascending, otherwise newest first, as GitHub's default "created" does.
func (s *Server) listOrgRepos(c *call) *reply {
	repos, rep := c.orgRepos(docsOrgRepos)
	if rep != nil {
		return rep
	}
	q := c.r.URL.Query()
	switch q.Get("type") {
	case "public":
		repos = slices.DeleteFunc(repos, func(r *repo) bool { return r.Private })
	case "private":
		repos = slices.DeleteFunc(repos, func(r *repo) bool { return !r.Private })
	}
	if q.Get("sort") == "full_name" {
		slices.SortFunc(repos, func(a, b *repo) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
	} else {
		slices.SortFunc(repos, func(a, b *repo) int { return cmp.Compare(b.ID, a.ID) })
	}
	lo, hi, link := paginate(c, len(repos))
	items := make([]map[string]any, 0, hi-lo)
	for _, r := range repos[lo:hi] {
		items = append(items, repoJSON(r, c.base, c.repoPermissions(r)))
	}
	return withLink(&reply{status: http.StatusOK, body: items}, link)
}

// listPropertyValues lists the custom property values of the organisation's repositories the
// credential can see; anonymous callers get 404, as GitHub hides an organisation's properties.
func (s *Server) listPropertyValues(c *call) *reply {
	if c.cred == nil {
		return notFound(docsPropertyValues)
	}
	repos, rep := c.orgRepos(docsPropertyValues)
	if rep != nil {
		return rep
	}
	slices.SortFunc(repos, func(a, b *repo) int { return cmp.Compare(a.ID, b.ID) })
	lo, hi, link := paginate(c, len(repos))
	items := make([]map[string]any, 0, hi-lo)
	for _, r := range repos[lo:hi] {
		names := make([]string, 0, len(r.Properties))
		for n := range r.Properties {
			names = append(names, n)
		}
		slices.Sort(names)
		props := make([]map[string]any, 0, len(names))
		for _, n := range names {
			var v any = r.Properties[n]
			if vals := r.Properties[n]; len(vals) == 1 {
				v = vals[0] // single_select, string, true_false: a plain string on the wire
			}
			props = append(props, map[string]any{"property_name": n, "value": v})
		}
		items = append(items, map[string]any{
			"repository_id": r.ID, "repository_name": r.Name, "repository_full_name": r.FullName, "properties": props,
		})
	}
	return withLink(&reply{status: http.StatusOK, body: items}, link)
}

// DeleteRepo removes a repository, as an organisation owner deleting it would; its id stays unused.
// It is a no-op for an unknown repository.
func (s *Server) DeleteRepo(owner, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repos[repoKey(owner, name)]; r != nil {
		delete(s.st.repos, repoKey(owner, name))
		delete(s.st.reposByID, r.ID)
	}
}

// SetTopics replaces a repository's topics (lower-cased, as GitHub stores them).
func (s *Server) SetTopics(owner, name string, topics ...string) {
	lower := make([]string, 0, len(topics))
	for _, t := range topics {
		lower = append(lower, strings.ToLower(t))
	}
	s.UpdateRepo(owner, name, func(st *RepoState) { st.Topics = lower })
}

// SetCustomProperty sets (or, with no values, unsets) a custom property of a repository.
func (s *Server) SetCustomProperty(owner, name, property string, values ...string) {
	s.UpdateRepo(owner, name, func(st *RepoState) {
		props := maps.Clone(st.Properties)
		if props == nil {
			props = map[string][]string{}
		}
		if len(values) == 0 {
			delete(props, property)
		} else {
			props[property] = append([]string(nil), values...)
		}
		st.Properties = props
	})
}
