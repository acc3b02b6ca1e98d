package githubsim

import (
	"net/url"
	"sort"
	"strings"
)

// authMode says which credentials a route accepts.
type authMode int

const (
	// authRepo: a PAT or installation token that can see the repository
	// named by the path; anonymous callers cannot see private repositories.
	authRepo authMode = iota
	// authAny: any valid credential, or none.
	authAny
	// authAppJWT: a GitHub App JWT (RS256) only.
	authAppJWT
)

// route is one served operation. Pattern uses the OpenAPI description's path
// template and parameter names, so that the request log, fault injection and
// the contract test all speak the description's language.
type route struct {
	Method  string
	Pattern string
	// Spec is the operation in GitHub's OpenAPI description that this route
	// is checked against, for routes the description does not list itself
	// (the /repositories/{repository_id}/... secret routes go-github v60
	// uses); empty means Pattern.
	Spec    string
	Auth    authMode
	Handler func(*Server, *call) *reply

	key      string   // "METHOD Pattern", the name in RequestRecord.Route
	segs     []string // "" marks a parameter
	names    []string // parameter names, aligned with the "" entries of segs
	catchAll bool     // last parameter swallows the rest of the path ({path})
}

// Operation is one operation the simulator serves.
type Operation struct {
	// Method and Path as served, e.g. "GET",
	// "/repositories/{repository_id}/environments/{environment_name}/secrets".
	Method, Path string
	// SpecPath is the path of the same operation in GitHub's OpenAPI
	// description (equal to Path except for /repositories/{repository_id}
	// twins of /repos/{owner}/{repo} routes).
	SpecPath string
}

// routeTable is the single list of served operations. The extraction script
// (hack/extract-openapi.mjs) reads testdata/served-operations.txt, and
// TestServedOperationsFile keeps that file equal to this table.
// Literal segments must come before parameters at the same position
// (".../secrets/public-key" before ".../secrets/{secret_name}"); the router
// prefers the route with more literal segments anyway.
func routeTable() []*route {
	const (
		repo    = "/repos/{owner}/{repo}"
		env     = repo + "/environments/{environment_name}"
		byID    = "/repositories/{repository_id}/environments/{environment_name}"
		secrets = "/secrets"
	)
	rs := []*route{
		{Method: "GET", Pattern: "/rate_limit", Auth: authAny, Handler: (*Server).getRateLimit},
		{Method: "GET", Pattern: "/app", Auth: authAppJWT, Handler: (*Server).getApp},
		{Method: "POST", Pattern: "/app/installations/{installation_id}/access_tokens", Auth: authAppJWT, Handler: (*Server).createInstallationToken},
		{Method: "GET", Pattern: "/users/{username}", Auth: authAny, Handler: (*Server).getUser},
		{Method: "GET", Pattern: "/orgs/{org}/teams/{team_slug}", Auth: authAny, Handler: (*Server).getTeam},
		{Method: "GET", Pattern: "/orgs/{org}/repos", Auth: authAny, Handler: (*Server).listOrgRepos},
		{Method: "GET", Pattern: "/orgs/{org}/properties/values", Auth: authAny, Handler: (*Server).listPropertyValues},

		{Method: "GET", Pattern: repo, Handler: (*Server).getRepo},
		{Method: "PATCH", Pattern: repo, Handler: (*Server).patchRepo},

		{Method: "GET", Pattern: repo + "/environments", Handler: (*Server).listEnvironments},
		{Method: "GET", Pattern: env, Handler: (*Server).getEnvironment},
		{Method: "PUT", Pattern: env, Handler: (*Server).putEnvironment},
		{Method: "DELETE", Pattern: env, Handler: (*Server).deleteEnvironment},
		{Method: "GET", Pattern: env + "/deployment-branch-policies", Handler: (*Server).listBranchPolicies},
		{Method: "POST", Pattern: env + "/deployment-branch-policies", Handler: (*Server).createBranchPolicy},
		{Method: "GET", Pattern: env + "/deployment-branch-policies/{branch_policy_id}", Handler: (*Server).getBranchPolicy},
		{Method: "PUT", Pattern: env + "/deployment-branch-policies/{branch_policy_id}", Handler: (*Server).updateBranchPolicy},
		{Method: "DELETE", Pattern: env + "/deployment-branch-policies/{branch_policy_id}", Handler: (*Server).deleteBranchPolicy},

		{Method: "GET", Pattern: env + secrets, Handler: (*Server).listSecrets},
		{Method: "GET", Pattern: env + secrets + "/public-key", Handler: (*Server).getPublicKey},
		{Method: "GET", Pattern: env + secrets + "/{secret_name}", Handler: (*Server).getSecret},
		{Method: "PUT", Pattern: env + secrets + "/{secret_name}", Handler: (*Server).putSecret},
		{Method: "DELETE", Pattern: env + secrets + "/{secret_name}", Handler: (*Server).deleteSecret},
		{Method: "GET", Pattern: byID + secrets, Spec: env + secrets, Handler: (*Server).listSecrets},
		{Method: "GET", Pattern: byID + secrets + "/public-key", Spec: env + secrets + "/public-key", Handler: (*Server).getPublicKey},
		{Method: "GET", Pattern: byID + secrets + "/{secret_name}", Spec: env + secrets + "/{secret_name}", Handler: (*Server).getSecret},
		{Method: "PUT", Pattern: byID + secrets + "/{secret_name}", Spec: env + secrets + "/{secret_name}", Handler: (*Server).putSecret},
		{Method: "DELETE", Pattern: byID + secrets + "/{secret_name}", Spec: env + secrets + "/{secret_name}", Handler: (*Server).deleteSecret},

		{Method: "GET", Pattern: repo + "/actions/permissions", Handler: (*Server).getActionsPermissions},
		{Method: "PUT", Pattern: repo + "/actions/permissions", Handler: (*Server).putActionsPermissions},
		{Method: "GET", Pattern: repo + "/actions/permissions/workflow", Handler: (*Server).getWorkflowPermissions},
		{Method: "PUT", Pattern: repo + "/actions/permissions/workflow", Handler: (*Server).putWorkflowPermissions},

		{Method: "GET", Pattern: repo + "/rulesets", Handler: (*Server).listRulesets},
		{Method: "POST", Pattern: repo + "/rulesets", Handler: (*Server).createRuleset},
		{Method: "GET", Pattern: repo + "/rulesets/{ruleset_id}", Handler: (*Server).getRuleset},
		{Method: "PUT", Pattern: repo + "/rulesets/{ruleset_id}", Handler: (*Server).updateRuleset},
		{Method: "DELETE", Pattern: repo + "/rulesets/{ruleset_id}", Handler: (*Server).deleteRulesetHandler},

		{Method: "GET", Pattern: repo + "/contents/{path}", Handler: (*Server).getContents},
		{Method: "GET", Pattern: repo + "/git/trees/{tree_sha}", Handler: (*Server).getGitTree},
		{Method: "GET", Pattern: repo + "/git/blobs/{file_sha}", Handler: (*Server).getGitBlob},

		{Method: "GET", Pattern: repo + "/attestations/{subject_digest}", Handler: (*Server).listAttestations},
	}
	for _, r := range rs {
		r.compile()
	}
	return rs
}

func (r *route) compile() {
	r.key = r.Method + " " + r.Pattern
	for _, seg := range strings.Split(strings.TrimPrefix(r.Pattern, "/"), "/") {
		if strings.HasPrefix(seg, "{") {
			r.segs = append(r.segs, "")
			r.names = append(r.names, strings.Trim(seg, "{}"))
			continue
		}
		r.segs = append(r.segs, seg)
	}
	// The contents API's {path} is the only multi-segment parameter
	// (x-multi-segment in the description).
	r.catchAll = strings.HasSuffix(r.Pattern, "/{path}")
}

// specKey is "METHOD SpecPath".
func (r *route) specKey() string {
	if r.Spec != "" {
		return r.Method + " " + r.Spec
	}
	return r.key
}

// ServedOperations lists the operations the simulator serves, sorted by path
// then method.
func ServedOperations() []Operation {
	var out []Operation
	for _, r := range routeTable() {
		sp := r.Spec
		if sp == "" {
			sp = r.Pattern
		}
		out = append(out, Operation{Method: r.Method, Path: r.Pattern, SpecPath: sp})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// router matches request paths against the route table.
type router struct {
	routes []*route
}

func newRouter(rs []*route) *router { return &router{routes: rs} }

// match returns the best route for method and escaped path with its
// unescaped parameter values, or nil. methodSeen reports whether the path
// matched a route for another method.
func (rt *router) match(method, escapedPath string) (best *route, params []string, methodSeen bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	bestLiterals := -1
	for _, r := range rt.routes {
		vals, literals, ok := r.matchSegs(segs)
		if !ok {
			continue
		}
		if r.Method != method {
			methodSeen = true
			continue
		}
		if literals > bestLiterals {
			best, params, bestLiterals = r, vals, literals
		}
	}
	return best, params, methodSeen
}

func (r *route) matchSegs(segs []string) (vals []string, literals int, ok bool) {
	if len(segs) < len(r.segs) || (!r.catchAll && len(segs) != len(r.segs)) {
		// "contents" with no path ("/repos/o/r/contents") is the root directory.
		if !(r.catchAll && len(segs) == len(r.segs)-1) {
			return nil, 0, false
		}
	}
	for i, want := range r.segs {
		if r.catchAll && i == len(r.segs)-1 {
			rest := strings.Join(segs[min(i, len(segs)):], "/")
			v, err := url.PathUnescape(rest)
			if err != nil {
				return nil, 0, false
			}
			vals = append(vals, v)
			break
		}
		if want != "" {
			if segs[i] != want {
				return nil, 0, false
			}
			literals++
			continue
		}
		v, err := url.PathUnescape(segs[i])
		if err != nil || v == "" {
			return nil, 0, false
		}
		vals = append(vals, v)
	}
	return vals, literals, true
}
