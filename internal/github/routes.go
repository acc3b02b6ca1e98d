package github

import (
	"net/url"
	"strings"
)

// routeOther is the route label of a path this package does not call, so a stray URL (a redirect, a
// future call not yet listed) cannot blow up metric cardinality with owner and repository names.
const routeOther = "other"

// routeTemplates are the paths this package calls, in GitHub's OpenAPI spelling so that metrics, errors
// and the simulator's request log name routes alike. The matcher prefers literal segments, so the order
// does not matter ("secrets/public-key" beats "secrets/{secret_name}").
var routeTemplates = []string{
	"/rate_limit",
	"/app/installations/{installation_id}/access_tokens",
	"/users/{username}",
	"/orgs/{org}/teams/{team_slug}",
	"/orgs/{org}/repos",
	"/orgs/{org}/properties/values",
	"/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/environments",
	"/repos/{owner}/{repo}/environments/{environment_name}",
	"/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
	"/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}",
	"/repositories/{repository_id}/environments/{environment_name}/secrets",
	"/repositories/{repository_id}/environments/{environment_name}/secrets/public-key",
	"/repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
	"/repos/{owner}/{repo}/actions/permissions",
	"/repos/{owner}/{repo}/actions/permissions/workflow",
	"/repos/{owner}/{repo}/rulesets",
	"/repos/{owner}/{repo}/rulesets/{ruleset_id}",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/git/trees/{tree_sha}",
	"/repos/{owner}/{repo}/git/blobs/{file_sha}",
}

// compiledRoute is a template split into segments; "" marks a parameter.
type compiledRoute struct {
	template string
	segs     []string
	// rest is true when the last parameter takes the rest of the path (the contents API's {path}).
	rest bool
}

var compiledRoutes = func() []compiledRoute {
	out := make([]compiledRoute, 0, len(routeTemplates))
	for _, t := range routeTemplates {
		r := compiledRoute{template: t, rest: strings.HasSuffix(t, "/{path}")}
		for s := range strings.SplitSeq(strings.TrimPrefix(t, "/"), "/") {
			if strings.HasPrefix(s, "{") {
				s = ""
			}
			r.segs = append(r.segs, s)
		}
		out = append(out, r)
	}
	return out
}()

// routeTemplate maps a request URL to its template, relative to the API base path (e.g. "/api/v3/" on
// GitHub Enterprise Server). It answers routeOther for URLs outside the base or not in routeTemplates.
func routeTemplate(basePath string, u *url.URL) string {
	p := u.EscapedPath()
	if !strings.HasPrefix(p, basePath) {
		return routeOther
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(p, basePath), "/"), "/")
	best, bestLiterals := routeOther, -1
	for _, r := range compiledRoutes {
		if n, ok := r.match(segs); ok && n > bestLiterals {
			best, bestLiterals = r.template, n
		}
	}
	return best
}

// match reports whether segs fit the route, and how many literal segments matched.
func (r compiledRoute) match(segs []string) (literals int, ok bool) {
	if len(segs) < len(r.segs) || (len(segs) > len(r.segs) && !r.rest) {
		return 0, false
	}
	for i, want := range r.segs {
		switch {
		case want == "" && segs[i] == "":
			return 0, false
		case want == "":
		case segs[i] != want:
			return 0, false
		default:
			literals++
		}
	}
	return literals, true
}

// parentPath is the path one segment up ("/a/b/c" → "/a/b"), the list a written item belongs to.
func parentPath(p string) string {
	p = strings.TrimSuffix(p, "/")
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return p
}
