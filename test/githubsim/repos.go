package githubsim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file renders accounts, teams and repositories in GitHub's JSON shapes
// (simple-user, public-user, team, team-full, full-repository) and serves
// GET/PATCH /repos/{owner}/{repo}, GET /users/{username} and
// GET /orgs/{org}/teams/{team_slug}.

// ts formats a time as GitHub does: UTC, second precision.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// nodeID imitates GitHub's legacy global node ids ("MDQ6VXNlcjE=").
func nodeID(kind string, id int64) string {
	s := kind + strconv.FormatInt(id, 10)
	return base64.StdEncoding.EncodeToString([]byte("0" + strconv.Itoa(len(kind)) + ":" + s))
}

const apiRoot = "https://api.github.com/"

func simpleUserJSON(a *account) map[string]any {
	u := apiRoot + "users/" + a.Login
	return map[string]any{
		"login": a.Login, "id": a.ID, "node_id": nodeID(a.Type, a.ID),
		"avatar_url":  "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(a.ID, 10) + "?v=4",
		"gravatar_id": "", "url": u, "html_url": "https://github.com/" + a.Login,
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}",
		"gists_url": u + "/gists{/gist_id}", "starred_url": u + "/starred{/owner}{/repo}",
		"subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events", "type": a.Type, "site_admin": false,
		"user_view_type": "public",
	}
}

// publicUserJSON is the public-user schema, which forbids extra properties.
func publicUserJSON(a *account, publicRepos int) map[string]any {
	m := simpleUserJSON(a)
	for k, v := range map[string]any{
		"name": a.Login, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "twitter_username": nil, "public_repos": publicRepos,
		"public_gists": 0, "followers": 0, "following": 0,
		"created_at": ts(a.CreatedAt), "updated_at": ts(a.CreatedAt),
	} {
		m[k] = v
	}
	return m
}

func teamJSON(t *team) map[string]any {
	u := apiRoot + "organizations/" + strconv.FormatInt(t.Org.ID, 10) + "/team/" + strconv.FormatInt(t.ID, 10)
	return map[string]any{
		"id": t.ID, "node_id": nodeID("Team", t.ID), "url": u,
		"html_url": "https://github.com/orgs/" + t.Org.Login + "/teams/" + t.Slug,
		"name":     t.Slug, "slug": t.Slug, "description": nil, "privacy": "closed",
		"notification_setting": "notifications_enabled", "permission": "pull",
		"members_url": u + "/members{/member}", "repositories_url": u + "/repos",
		"parent": nil, "type": "organization", "organization_id": t.Org.ID,
	}
}

func (s *Server) teamFullJSON(t *team) map[string]any {
	m := teamJSON(t)
	repos := 0
	for _, r := range s.st.repos {
		if r.owner == t.Org {
			repos++
		}
	}
	o := t.Org
	ou := apiRoot + "orgs/" + o.Login
	m["members_count"], m["repos_count"] = 0, repos
	m["created_at"], m["updated_at"] = ts(t.CreatedAt), ts(t.CreatedAt)
	m["organization"] = map[string]any{
		"login": o.Login, "id": o.ID, "node_id": nodeID("Organization", o.ID), "url": ou,
		"repos_url": ou + "/repos", "events_url": ou + "/events", "hooks_url": ou + "/hooks",
		"issues_url": ou + "/issues", "members_url": ou + "/members{/member}",
		"public_members_url": ou + "/public_members{/member}",
		"avatar_url":         "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(o.ID, 10) + "?v=4",
		"description":        nil, "html_url": "https://github.com/" + o.Login,
		"has_organization_projects": true, "has_repository_projects": true,
		"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0, "type": "Organization",
		"created_at": ts(o.CreatedAt), "updated_at": ts(o.CreatedAt), "archived_at": nil,
	}
	return m
}

// repoJSON is the full-repository schema.
func repoJSON(r *repo, base string, permissions map[string]bool) map[string]any {
	u := base + "repos/" + r.FullName
	html := "https://github.com/" + r.FullName
	m := map[string]any{
		"id": r.ID, "node_id": nodeID("Repository", r.ID), "name": r.Name, "full_name": r.FullName,
		"owner": simpleUserJSON(r.owner), "private": r.Private, "visibility": r.visibility(),
		"html_url": html, "description": nil, "fork": false, "url": u,
		"archive_url": u + "/{archive_format}{/ref}", "assignees_url": u + "/assignees{/user}",
		"blobs_url": u + "/git/blobs{/sha}", "branches_url": u + "/branches{/branch}",
		"collaborators_url": u + "/collaborators{/collaborator}", "comments_url": u + "/comments{/number}",
		"commits_url": u + "/commits{/sha}", "compare_url": u + "/compare/{base}...{head}",
		"contents_url": u + "/contents/{+path}", "contributors_url": u + "/contributors",
		"deployments_url": u + "/deployments", "downloads_url": u + "/downloads", "events_url": u + "/events",
		"forks_url": u + "/forks", "git_commits_url": u + "/git/commits{/sha}", "git_refs_url": u + "/git/refs{/sha}",
		"git_tags_url": u + "/git/tags{/sha}", "git_url": "git://github.com/" + r.FullName + ".git",
		"issue_comment_url": u + "/issues/comments{/number}", "issue_events_url": u + "/issues/events{/number}",
		"issues_url": u + "/issues{/number}", "keys_url": u + "/keys{/key_id}", "labels_url": u + "/labels{/name}",
		"languages_url": u + "/languages", "merges_url": u + "/merges", "milestones_url": u + "/milestones{/number}",
		"notifications_url": u + "/notifications{?since,all,participating}", "pulls_url": u + "/pulls{/number}",
		"releases_url": u + "/releases{/id}", "ssh_url": "git@github.com:" + r.FullName + ".git",
		"stargazers_url": u + "/stargazers", "statuses_url": u + "/statuses/{sha}",
		"subscribers_url": u + "/subscribers", "subscription_url": u + "/subscription", "tags_url": u + "/tags",
		"teams_url": u + "/teams", "trees_url": u + "/git/trees{/sha}", "clone_url": html + ".git",
		"mirror_url": nil, "hooks_url": u + "/hooks", "svn_url": html, "homepage": nil, "language": nil,
		"forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 0,
		"default_branch": r.DefaultBranch, "open_issues_count": 0, "open_issues": 0, "is_template": false,
		"topics": r.topics(), "has_issues": true, "has_projects": true, "has_wiki": true, "has_pages": false,
		"has_downloads": true, "has_discussions": false, "archived": r.Archived, "disabled": false,
		"pushed_at": ts(r.UpdatedAt), "created_at": ts(r.CreatedAt), "updated_at": ts(r.UpdatedAt),
		"permissions":        permissions,
		"allow_rebase_merge": true, "allow_squash_merge": true, "allow_merge_commit": true, "allow_auto_merge": false,
		"delete_branch_on_merge": false, "allow_update_branch": false, "allow_forking": false,
		"web_commit_signoff_required": r.WebCommitSignoffRequired,
		"license":                     nil, "network_count": 0, "subscribers_count": 0,
	}
	if r.owner.Type == "Organization" {
		m["organization"] = simpleUserJSON(r.owner)
	}
	return m
}

func (s *Server) getRepo(c *call) *reply {
	r, rep := c.repo(docsRepos)
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: repoJSON(r, c.base, c.repoPermissions(r))}
}

// repoPatch holds the PATCH /repos/{owner}/{repo} fields the simulator
// models; GitHub ignores fields it does not know, and so do we.
type repoPatch struct {
	Name                     *string `json:"name"`
	Private                  *bool   `json:"private"`
	Visibility               *string `json:"visibility"`
	DefaultBranch            *string `json:"default_branch"`
	WebCommitSignoffRequired *bool   `json:"web_commit_signoff_required"`
}

func (s *Server) patchRepo(c *call) *reply {
	r, rep := c.repo(docsRepoUpdate)
	if rep != nil {
		return rep
	}
	var p repoPatch
	if rep := c.decode(&p); rep != nil {
		return rep
	}
	if p.Name != nil && *p.Name != r.Name {
		return unprocessable("githubsim does not model renaming repositories", docsRepoUpdate)
	}
	if p.Visibility != nil && *p.Visibility != "public" && *p.Visibility != "private" {
		return invalidField(docsRepoUpdate, "Repository", "visibility", "visibility must be public or private")
	}
	if p.DefaultBranch != nil && strings.TrimSpace(*p.DefaultBranch) == "" {
		return invalidField(docsRepoUpdate, "Repository", "default_branch", "default_branch must not be empty")
	}
	if p.Private != nil || p.Visibility != nil {
		r.Internal = false
	}
	if p.Private != nil {
		r.Private = *p.Private
	}
	if p.Visibility != nil {
		r.Private = *p.Visibility == "private"
	}
	if p.DefaultBranch != nil {
		r.DefaultBranch = *p.DefaultBranch
	}
	if p.WebCommitSignoffRequired != nil {
		r.WebCommitSignoffRequired = *p.WebCommitSignoffRequired
	}
	r.UpdatedAt = c.now
	return &reply{status: http.StatusOK, body: repoJSON(r, c.base, c.repoPermissions(r))}
}

func (s *Server) getUser(c *call) *reply {
	a := s.st.accounts[strings.ToLower(c.param("username"))]
	if a == nil {
		return notFound(docsUsers)
	}
	public := 0
	for _, r := range s.st.repos {
		if r.owner == a && !r.Private {
			public++
		}
	}
	return &reply{status: http.StatusOK, body: publicUserJSON(a, public)}
}

// getTeam needs a credential: GitHub hides organization teams from
// anonymous callers.
func (s *Server) getTeam(c *call) *reply {
	t := s.st.teams[strings.ToLower(c.param("org")+"/"+c.param("team_slug"))]
	if t == nil || (c.cred == nil && c.app == nil) {
		return notFound(docsTeams)
	}
	return &reply{status: http.StatusOK, body: s.teamFullJSON(t)}
}
