package githubsim

import (
	"crypto/sha1" //nolint:gosec // git object ids are SHA-1 by definition
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file serves GET /repos/{owner}/{repo}/contents/{path}: files seeded
// with SetFile on the default branch, and directories derived from their
// paths. Only the default branch exists: ?ref= may name it (or
// refs/heads/<it>); other refs answer 404 like an unknown ref on GitHub.

// gitBlobSHA is the object id git gives a file's content, as GitHub reports.
func gitBlobSHA(content []byte) string {
	h := sha1.New() //nolint:gosec // see import
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// wrap60 splits base64 into 60-column lines the way GitHub's contents API does.
func wrap60(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

func contentEntry(c *call, r *repo, typ, p string, size int, sha string) map[string]any {
	esc := (&url.URL{Path: p}).EscapedPath()
	self := c.base + "repos/" + r.FullName + "/contents/" + esc + "?ref=" + url.QueryEscape(r.DefaultBranch)
	kind, gitKind := "blob", "blobs"
	if typ == "dir" {
		kind, gitKind = "tree", "trees"
	}
	git := c.base + "repos/" + r.FullName + "/git/" + gitKind + "/" + sha
	html := "https://github.com/" + r.FullName + "/" + kind + "/" + r.DefaultBranch + "/" + esc
	var download any
	if typ == "file" {
		download = "https://raw.githubusercontent.com/" + r.FullName + "/" + r.DefaultBranch + "/" + esc
	}
	return map[string]any{
		"type": typ, "name": p[strings.LastIndex(p, "/")+1:], "path": p, "sha": sha, "size": size,
		"url": self, "git_url": git, "html_url": html, "download_url": download,
		"_links": map[string]any{"self": self, "git": git, "html": html},
	}
}

func (s *Server) getContents(c *call) *reply {
	r, rep := c.repo(docsContents)
	if rep != nil {
		return rep
	}
	if ref := c.r.URL.Query().Get("ref"); ref != "" && ref != r.DefaultBranch && ref != "refs/heads/"+r.DefaultBranch {
		return errReply(http.StatusNotFound, "No commit found for the ref "+ref, docsContents)
	}
	p := strings.Trim(c.param("path"), "/")
	if content, ok := r.files[p]; ok && p != "" {
		if strings.Contains(c.r.Header.Get("Accept"), "application/vnd.github.raw") {
			return &reply{status: http.StatusOK, raw: content, contentType: "application/vnd.github.raw; charset=utf-8"}
		}
		m := contentEntry(c, r, "file", p, len(content), gitBlobSHA(content))
		m["encoding"] = "base64"
		m["content"] = wrap60(base64.StdEncoding.EncodeToString(content))
		return &reply{status: http.StatusOK, body: m}
	}
	// A directory: the immediate children of p.
	prefix := ""
	if p != "" {
		prefix = p + "/"
	}
	files := map[string][]byte{}
	dirs := map[string]*strings.Builder{}
	for fp, content := range r.files {
		if !strings.HasPrefix(fp, prefix) {
			continue
		}
		rest := fp[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			d := prefix + rest[:i]
			if dirs[d] == nil {
				dirs[d] = &strings.Builder{}
			}
			continue
		}
		files[fp] = content
	}
	if len(files) == 0 && len(dirs) == 0 && p != "" {
		return notFound(docsContents)
	}
	// A directory's sha is derived from everything below it, so it changes
	// when any file below changes, as a git tree id would.
	for fp, content := range r.files {
		for d, b := range dirs {
			if strings.HasPrefix(fp, d+"/") {
				b.WriteString(fp + "\x00" + gitBlobSHA(content) + "\n")
			}
		}
	}
	var entries []map[string]any
	for fp, content := range files {
		entries = append(entries, contentEntry(c, r, "file", fp, len(content), gitBlobSHA(content)))
	}
	for d, b := range dirs {
		sum := sha1.Sum([]byte(b.String())) //nolint:gosec // see import
		entries = append(entries, contentEntry(c, r, "dir", d, 0, hex.EncodeToString(sum[:])))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i]["path"].(string) < entries[j]["path"].(string) })
	out := []any{}
	for _, e := range entries {
		out = append(out, e)
	}
	return &reply{status: http.StatusOK, body: out}
}
