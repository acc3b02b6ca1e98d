package githubsim

import (
	"crypto/sha1" //nolint:gosec // git object ids are SHA-1 by definition
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
)

// This file serves the Git database API's trees and blobs of the default
// branch: GET /repos/{owner}/{repo}/git/trees/{tree_sha}[?recursive=1] and
// GET /repos/{owner}/{repo}/git/blobs/{file_sha}, from the files seeded
// with SetFile (and SetSymlink). {tree_sha} may be the default branch's
// name, refs/heads/<it>, or a tree sha this simulator handed out. Tree
// shas are derived from everything below them, so they change exactly when
// a file below changes, as git's do.

const (
	docsGitTrees = "https://docs.github.com/rest/git/trees#get-a-tree"
	docsGitBlobs = "https://docs.github.com/rest/git/blobs#get-a-blob"

	modeFile    = "100644"
	modeSymlink = "120000"
	modeTree    = "040000"
)

// SetSymlink makes path a symbolic link to target on the default branch
// (git stores the target as the blob's content, with mode 120000).
func (s *Server) SetSymlink(owner, repo, path, target string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.st.repos[repoKey(owner, repo)]; r != nil {
		p := strings.Trim(path, "/")
		r.files[p] = []byte(target)
		if r.symlinks == nil {
			r.symlinks = map[string]bool{}
		}
		r.symlinks[p] = true
	}
}

// gitEntry is one entry of a tree listing.
type gitEntry struct {
	path, mode, typ, sha string
	size                 int
}

// treeOf lists the entries under dir ("" for the root): direct children,
// or everything below when recursive. It also returns dir's own sha.
// Directory shas are derived in one pass over the sorted paths, each file
// feeding every directory above it.
func treeOf(r *repo, dir string, recursive bool) (sha string, entries []gitEntry) {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	paths := make([]string, 0, len(r.files))
	for fp := range r.files {
		if strings.HasPrefix(fp, prefix) {
			paths = append(paths, fp)
		}
	}
	slices.Sort(paths) // shas must not depend on map order
	hashes := map[string]*strings.Builder{dir: {}}
	var order []string
	for _, fp := range paths {
		content := r.files[fp]
		blob := gitBlobSHA(content)
		line := fp + "\x00" + blob + "\x00" + modeOf(r, fp) + "\n"
		hashes[dir].WriteString(line)
		rest := fp[len(prefix):]
		parts := strings.Split(rest, "/")
		for i := 1; i < len(parts); i++ {
			d := prefix + strings.Join(parts[:i], "/")
			b := hashes[d]
			if b == nil {
				b = &strings.Builder{}
				hashes[d] = b
				order = append(order, d)
			}
			b.WriteString(line)
		}
		if recursive || len(parts) == 1 {
			entries = append(entries, gitEntry{path: rest, mode: modeOf(r, fp), typ: "blob", sha: blob, size: len(content)})
		}
	}
	for _, d := range order {
		rel := strings.TrimPrefix(d, prefix)
		if recursive || !strings.Contains(rel, "/") {
			entries = append(entries, gitEntry{path: rel, mode: modeTree, typ: "tree", sha: derivedSHA("tree\x00" + hashes[d].String())})
		}
	}
	slices.SortFunc(entries, func(a, b gitEntry) int { return strings.Compare(a.path, b.path) })
	return derivedSHA("tree\x00" + hashes[dir].String()), entries
}

func modeOf(r *repo, p string) string {
	if r.symlinks[p] {
		return modeSymlink
	}
	return modeFile
}

func derivedSHA(s string) string {
	sum := sha1.Sum([]byte(s)) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

func (s *Server) getGitTree(c *call) *reply {
	r, rep := c.repo(docsGitTrees)
	if rep != nil {
		return rep
	}
	ref := c.param("tree_sha")
	recursive := c.r.URL.Query().Get("recursive") != ""
	dir := ""
	switch ref {
	case r.DefaultBranch, "refs/heads/" + r.DefaultBranch, "heads/" + r.DefaultBranch:
	default:
		d, ok := treeDirBySHA(r, ref)
		if !ok {
			return errReply(http.StatusNotFound, "Not Found", docsGitTrees)
		}
		dir = d
	}
	sha, entries := treeOf(r, dir, recursive)
	tree := []any{}
	for _, e := range entries {
		m := map[string]any{"path": e.path, "mode": e.mode, "type": e.typ, "sha": e.sha}
		kind := "trees"
		if e.typ == "blob" {
			m["size"] = e.size
			kind = "blobs"
		}
		m["url"] = c.base + "repos/" + r.FullName + "/git/" + kind + "/" + e.sha
		tree = append(tree, m)
	}
	return &reply{status: http.StatusOK, body: map[string]any{
		"sha": sha, "url": c.base + "repos/" + r.FullName + "/git/trees/" + sha, "tree": tree, "truncated": false,
	}}
}

// treeDirBySHA finds the directory whose derived tree sha is sha.
func treeDirBySHA(r *repo, sha string) (string, bool) {
	if root, _ := treeOf(r, "", false); root == sha {
		return "", true
	}
	_, entries := treeOf(r, "", true)
	for _, e := range entries {
		if e.typ != "tree" {
			continue
		}
		if own, _ := treeOf(r, e.path, false); own == sha {
			return e.path, true
		}
	}
	return "", false
}

func (s *Server) getGitBlob(c *call) *reply {
	r, rep := c.repo(docsGitBlobs)
	if rep != nil {
		return rep
	}
	want := strings.ToLower(c.param("file_sha"))
	for _, content := range r.files {
		if gitBlobSHA(content) != want {
			continue
		}
		return &reply{status: http.StatusOK, body: map[string]any{
			"sha": want, "node_id": "B_" + want[:12], "size": len(content),
			"url":      c.base + "repos/" + r.FullName + "/git/blobs/" + want,
			"content":  wrap60(base64.StdEncoding.EncodeToString(content)),
			"encoding": "base64",
		}}
	}
	return errReply(http.StatusNotFound, "Not Found", docsGitBlobs)
}
