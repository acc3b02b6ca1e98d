package githubsim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// identity is who a request is charged to for rate limiting.
type identity struct {
	key   string
	limit int
}

func (c *call) identity() identity {
	switch {
	case c.app != nil:
		return identity{key: "app:" + strconv.FormatInt(c.app.ID, 10), limit: c.s.primaryLimit}
	case c.cred != nil:
		return identity{key: "token:" + c.cred.Token, limit: c.s.primaryLimit}
	default:
		return identity{key: "anonymous", limit: anonymousLimit}
	}
}

// authenticate resolves the request's credential into c.cred or c.app. It
// always returns the identity to report rate limits for; a non-nil reply is
// the 401 to send.
func (s *Server) authenticate(c *call) (identity, *reply) {
	tok := bearer(c.r)
	if tok == "" {
		if c.r.Header.Get("Authorization") != "" {
			return c.identity(), errReply(http.StatusUnauthorized, "Bad credentials", docsRoot)
		}
		if c.route.Auth == authAppJWT || (c.route.Auth == authRepo && c.r.Method != http.MethodGet) {
			return c.identity(), errReply(http.StatusUnauthorized, "Requires authentication", docsRoot)
		}
		return c.identity(), nil
	}
	if c.route.Auth == authAppJWT {
		a, msg := s.verifyAppJWT(tok)
		if a == nil {
			return c.identity(), errReply(http.StatusUnauthorized, msg, docsApps)
		}
		c.app = a
		return c.identity(), nil
	}
	s.mu.RLock()
	cred := s.st.tokens[tok]
	s.mu.RUnlock()
	if cred == nil || (!cred.ExpiresAt.IsZero() && !s.now().Before(cred.ExpiresAt)) {
		return c.identity(), errReply(http.StatusUnauthorized, "Bad credentials", docsRoot)
	}
	c.cred = cred
	return c.identity(), nil
}

// canSee reports whether the caller may see r: a token with access, or
// anyone (any token too) for a public repository.
func (c *call) canSee(r *repo) bool {
	if c.cred != nil && c.cred.canSee(r) {
		return true
	}
	return !r.Private && c.app == nil
}

// repo resolves the repository named by the path ({owner}/{repo} or
// {repository_id}) and checks access: 404 when it does not exist or the
// caller cannot see it (GitHub does not reveal private repositories), 403
// when a read-only credential tries to write.
func (c *call) repo(doc string) (*repo, *reply) {
	var r *repo
	if id := c.param("repository_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, notFound(doc)
		}
		r = c.s.st.reposByID[n]
	} else {
		r = c.s.st.repoByName(c.param("owner"), c.param("repo"))
	}
	if r == nil || !c.canSee(r) {
		return nil, notFound(doc)
	}
	if c.r.Method != http.MethodGet && r.Archived {
		return nil, errReply(http.StatusForbidden, "Repository was archived so is read-only.", doc)
	}
	if c.r.Method != http.MethodGet && c.cred != nil && !c.cred.canSee(r) {
		// A public repository is readable by anyone, writable only with access.
		return nil, errReply(http.StatusForbidden, "Must have admin rights to Repository.", doc)
	}
	if c.r.Method != http.MethodGet && c.cred != nil && c.cred.ReadOnly {
		what := "personal access token"
		if c.cred.Kind == credInstallation {
			what = "integration"
		}
		return nil, errReply(http.StatusForbidden, "Resource not accessible by "+what, doc)
	}
	return r, nil
}

// verifyAppJWT checks an app JWT the way GitHub does: RS256, iss = a known
// app id, signature by that app's key, iat/exp present, exp in the future and
// at most 10 minutes ahead. On failure it returns GitHub's message.
func (s *Server) verifyAppJWT(tok string) (*app, string) {
	var found *app
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		id, err := appIDFromIssuer(claims["iss"])
		if err != nil {
			return nil, err
		}
		s.mu.RLock()
		found = s.st.apps[id]
		s.mu.RUnlock()
		if found == nil {
			return nil, fmt.Errorf("no app %d", id)
		}
		return found.Key, nil
	})
	if err != nil {
		if found == nil || errors.Is(err, jwt.ErrTokenMalformed) {
			return nil, "A JSON web token could not be decoded"
		}
		return nil, "Signature verification failed"
	}
	now := s.now()
	exp, okExp := numericClaim(claims["exp"])
	iat, okIat := numericClaim(claims["iat"])
	switch {
	case !okExp || !okIat:
		return nil, "Missing 'issued at' or 'expiration time' claim"
	case exp <= now.Unix():
		return nil, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case exp > now.Add(10*time.Minute+30*time.Second).Unix():
		return nil, "'Expiration time' claim ('exp') is too far in the future"
	case iat > now.Add(60*time.Second).Unix():
		return nil, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	return found, ""
}

func appIDFromIssuer(v any) (int64, error) {
	switch x := v.(type) {
	case string:
		return strconv.ParseInt(x, 10, 64)
	case float64:
		if x == math.Trunc(x) {
			return int64(x), nil
		}
	}
	return 0, fmt.Errorf("iss claim %v is not an app id", v)
}

func numericClaim(v any) (int64, bool) {
	f, ok := v.(float64)
	return int64(f), ok
}

func parseRSAPublicKey(p []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(p)
	if block == nil {
		return nil, errors.New("public key is not PEM-encoded")
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKIX public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, want RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		// Accepting the private key is convenient for seed files that reuse
		// the app's key file; only the public half is kept.
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS#1 private key: %w", err)
		}
		return &k.PublicKey, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is %T, want RSA", k)
		}
		return &rk.PublicKey, nil
	}
	return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
}

// getApp serves GET /app for the app whose JWT authenticated the request.
func (s *Server) getApp(c *call) *reply {
	a := c.app
	count := 0
	for _, in := range s.st.installations {
		if in.AppID == a.ID {
			count++
		}
	}
	return &reply{status: http.StatusOK, body: appJSON(a, count)}
}

func appJSON(a *app, installations int) map[string]any {
	slug := "app-" + strconv.FormatInt(a.ID, 10)
	return map[string]any{
		"id": a.ID, "slug": slug, "node_id": nodeID("Integration", a.ID),
		"client_id": "Iv1.sim" + strconv.FormatInt(a.ID, 16),
		"owner":     simpleUserJSON(&account{ID: 1, Login: "githubsim", Type: "Organization"}),
		"name":      "App " + strconv.FormatInt(a.ID, 10), "description": nil,
		"external_url": "https://example.invalid/" + slug, "html_url": "https://github.com/apps/" + slug,
		"created_at": ts(a.CreatedAt), "updated_at": ts(a.CreatedAt),
		"permissions": map[string]string{"metadata": "read", "administration": "write", "environments": "write", "secrets": "write", "actions": "write", "contents": "read"},
		"events":      []string{}, "installations_count": installations,
	}
}

// tokenRequest is the optional body of POST .../access_tokens.
type tokenRequest struct {
	Repositories  []string          `json:"repositories"`
	RepositoryIDs []int64           `json:"repository_ids"`
	Permissions   map[string]string `json:"permissions"`
}

// createInstallationToken serves POST /app/installations/{installation_id}/access_tokens.
// The token can see the installation's repositories, narrowed by the
// request's repositories/repository_ids; a request whose permissions are all
// "read" yields a read-only token.
func (s *Server) createInstallationToken(c *call) *reply {
	id, err := strconv.ParseInt(c.param("installation_id"), 10, 64)
	in := s.st.installations[id]
	if err != nil || in == nil || in.AppID != c.app.ID {
		return notFound(docsApps)
	}
	var req tokenRequest
	if rep := c.decode(&req); rep != nil {
		return rep
	}
	cred := &credential{Kind: credInstallation, InstallationID: id, AllRepos: in.AllRepos, Repos: map[string]bool{}}
	for k := range in.Repos {
		cred.Repos[k] = true
	}
	if len(req.Repositories) > 0 || len(req.RepositoryIDs) > 0 {
		cred.AllRepos, cred.Repos = false, map[string]bool{}
		inInstall := func(r *repo) bool { return r != nil && (in.AllRepos || in.Repos[strings.ToLower(r.FullName)]) }
		for _, name := range req.Repositories {
			r := s.repoInInstallation(in, name)
			if !inInstall(r) {
				return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.", docsApps)
			}
			cred.Repos[strings.ToLower(r.FullName)] = true
		}
		for _, rid := range req.RepositoryIDs {
			r := s.st.reposByID[rid]
			if !inInstall(r) {
				return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.", docsApps)
			}
			cred.Repos[strings.ToLower(r.FullName)] = true
		}
	}
	perms := req.Permissions
	if len(perms) == 0 {
		perms = map[string]string{"actions": "write", "administration": "write", "contents": "read", "environments": "write", "metadata": "read", "secrets": "write"}
	} else {
		cred.ReadOnly = true
		for _, v := range perms {
			if v != "read" {
				cred.ReadOnly = false
			}
		}
	}
	cred.Token = "ghs_" + randomHex(18)
	cred.ExpiresAt = c.now.Add(s.instTTL)
	s.st.tokens[cred.Token] = cred
	sel := "selected"
	if cred.AllRepos {
		sel = "all"
	}
	return &reply{status: http.StatusCreated, body: map[string]any{
		"token": cred.Token, "expires_at": ts(cred.ExpiresAt), "permissions": perms, "repository_selection": sel,
	}}
}

// repoInInstallation finds a repository by bare name (as the access_tokens
// API takes them) among those the installation can reach.
func (s *Server) repoInInstallation(in *installation, name string) *repo {
	for _, r := range s.st.repos {
		if strings.EqualFold(r.Name, name) && (in.AllRepos || in.Repos[strings.ToLower(r.FullName)]) {
			return r
		}
	}
	return nil
}
