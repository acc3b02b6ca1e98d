package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	gogithub "github.com/google/go-github/v60/github"
)

// perPage is GitHub's largest page, so lists take as few requests as possible.
const perPage = 100

// maxPages stops a list whose Link headers never end; 100 pages of 100 is beyond any real repository.
const maxPages = 100

// client implements Client with go-github over apiTransport.
type client struct {
	gh       *gogithub.Client
	identity string
}

var _ Client = (*client)(nil)

// Identity implements Client.
func (c *client) Identity() string { return c.identity }

// esc escapes one path segment. go-github v60 formats most path parameters into URLs unescaped, so
// every name from a spec is escaped here: an environment called "qa/eu" must not become two segments.
func esc(s string) string { return url.PathEscape(s) }

// fail says what was being done to which object, keeping err in the chain for IsNotFound and friends.
// It unwraps http.Client's *url.Error, whose "Get "https://…":" prefix only repeats the route.
func fail(err error, format string, args ...any) error {
	var apiErr *APIError
	var rl *RateLimitError
	var ue *url.Error
	switch {
	case errors.As(err, &apiErr):
		err = apiErr
	case errors.As(err, &rl):
		err = rl
	case errors.As(err, &ue):
		err = ue.Err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ignoreNotFound is for deletes, where "already gone" is success.
func ignoreNotFound(err error) error {
	if IsNotFound(err) {
		return nil
	}
	return err
}

// do sends one request with a JSON body (or none) and decodes the JSON answer into v (if not nil). A GET's
// answer is cut to v's type (shape.go).
func (c *client) do(ctx context.Context, method, path string, body, v any) (*gogithub.Response, error) {
	if method == http.MethodGet && v != nil {
		if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer {
			ctx = withAnswerType(ctx, t.Elem())
		}
	}
	req, err := c.gh.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	return c.gh.Do(ctx, req, v)
}

// listPages GETs every page of path with per_page=100, calling add with each page.
func listPages[T any](ctx context.Context, c *client, path string, add func(T)) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for page := 1; page <= maxPages; page++ {
		var v T
		resp, err := c.do(ctx, http.MethodGet, path+sep+"per_page="+strconv.Itoa(perPage)+"&page="+strconv.Itoa(page), nil, &v)
		if err != nil {
			return err
		}
		add(v)
		if resp.NextPage == 0 {
			return nil
		}
	}
	return fmt.Errorf("GitHub listed more than %d pages of %s", maxPages, path)
}

func repoPath(owner, repo string) string { return "repos/" + esc(owner) + "/" + esc(repo) }

// repositoryAnswer is what GetRepository reads of GitHub's repository.
type repositoryAnswer struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"`
	DefaultBranch            string          `json:"default_branch"`
	WebCommitSignoffRequired bool            `json:"web_commit_signoff_required"`
	Permissions              map[string]bool `json:"permissions,omitempty"`
}

// GetRepository implements Client.
func (c *client) GetRepository(ctx context.Context, owner, repo string) (*Repository, error) {
	var r repositoryAnswer
	if _, err := c.do(ctx, http.MethodGet, repoPath(owner, repo), nil, &r); err != nil {
		return nil, fail(err, "reading repository %s/%s", owner, repo)
	}
	out := &Repository{
		ID: r.ID, Owner: r.Owner.Login, Name: r.Name,
		DefaultBranch: r.DefaultBranch, WebCommitSignoffRequired: r.WebCommitSignoffRequired,
	}
	if admin, ok := r.Permissions["admin"]; ok {
		out.Admin = &admin
	}
	return out, nil
}

// SetWebCommitSignoffRequired implements Client.
func (c *client) SetWebCommitSignoffRequired(ctx context.Context, owner, repo string, required bool) error {
	_, _, err := c.gh.Repositories.Edit(ctx, esc(owner), esc(repo), &gogithub.Repository{WebCommitSignoffRequired: &required})
	if err != nil {
		return fail(err, "setting web_commit_signoff_required=%t on repository %s/%s", required, owner, repo)
	}
	return nil
}

// UserID implements Client.
func (c *client) UserID(ctx context.Context, login string) (int64, error) {
	if strings.TrimSpace(login) == "" {
		// go-github would read the authenticated user instead, which is never what a reviewer list means.
		return 0, errors.New("resolving a GitHub user: the login is empty")
	}
	var u struct {
		ID int64 `json:"id"`
	}
	if _, err := c.do(ctx, http.MethodGet, "users/"+esc(login), nil, &u); err != nil {
		return 0, fail(err, "resolving GitHub user %q", login)
	}
	return u.ID, nil
}

// TeamID implements Client.
func (c *client) TeamID(ctx context.Context, org, slug string) (int64, error) {
	t, _, err := c.gh.Teams.GetTeamBySlug(ctx, esc(org), esc(slug))
	if err != nil {
		return 0, fail(err, "resolving team %s/%s", org, slug)
	}
	return t.GetID(), nil
}
