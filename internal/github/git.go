package github

import (
	"context"
	"crypto/sha1" //nolint:gosec // git object ids are SHA-1 by definition; used to check, not to protect
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// GitTree is a git tree as GitHub lists it (GET /repos/{o}/{r}/git/trees/{sha}).
type GitTree struct {
	// SHA is the tree's object id.
	SHA string
	// Entries are the files, links, directories and submodules, with paths relative to the tree.
	Entries []GitTreeEntry
	// Truncated is GitHub saying the recursive listing went over its limits and is incomplete.
	Truncated bool
}

// GitTreeEntry is one entry of a tree.
type GitTreeEntry struct {
	Path string
	// Mode is git's: 100644 or 100755 for files, 120000 for symbolic links, 040000 for trees,
	// 160000 for submodules.
	Mode string
	// Type is "blob", "tree" or "commit" (a submodule).
	Type string
	// SHA is the object id: for a blob, the hash of its content.
	SHA string
	// Size is the blob's size in bytes (0 for trees).
	Size int64
}

// Git modes the audit cares about.
const (
	GitModeSymlink = "120000"
	GitTypeBlob    = "blob"
)

// gitTreeJSON and gitBlobJSON are GitHub's answers, in the project's own types: go-github's Tree drops
// nothing we need, but keeping the wire shape here keeps the client's contract in one file.
type gitTreeJSON struct {
	SHA       string `json:"sha"`
	Truncated bool   `json:"truncated"`
	Tree      []struct {
		Path string `json:"path"`
		Mode string `json:"mode"`
		Type string `json:"type"`
		SHA  string `json:"sha"`
		Size *int64 `json:"size"`
	} `json:"tree"`
}

type gitBlobJSON struct {
	SHA      string `json:"sha"`
	Size     int64  `json:"size"`
	Content  string `json:"content"`
	Encoding string `json:"encoding"`
}

// GitTree implements Client. ref may be a branch name or a tree sha; recursive lists the whole tree.
// The answer goes through the ETag cache: an unchanged tree costs one 304.
func (c *client) GitTree(ctx context.Context, owner, repo, ref string, recursive bool) (*GitTree, error) {
	p := repoPath(owner, repo) + "/git/trees/" + esc(ref)
	if recursive {
		p += "?recursive=1"
	}
	var v gitTreeJSON
	if _, err := c.do(ctx, http.MethodGet, p, nil, &v); err != nil {
		return nil, fail(err, "reading the git tree %s of %s/%s", ref, owner, repo)
	}
	t := &GitTree{SHA: v.SHA, Truncated: v.Truncated, Entries: make([]GitTreeEntry, 0, len(v.Tree))}
	for _, e := range v.Tree {
		te := GitTreeEntry{Path: e.Path, Mode: e.Mode, Type: e.Type, SHA: strings.ToLower(e.SHA)}
		if e.Size != nil {
			te.Size = *e.Size
		}
		t.Entries = append(t.Entries, te)
	}
	return t, nil
}

// maxBlobBytes is the largest blob GitBlob accepts; GitHub serves blobs up to 100 MB, the audit reads
// far smaller files.
const maxBlobBytes = 8 << 20

// GitBlob implements Client. The content is checked against sha (git's blob hash), so a cache or proxy
// that answers with other bytes is an error, not an audit of the wrong file.
func (c *client) GitBlob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	var v gitBlobJSON
	if _, err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/git/blobs/"+esc(sha), nil, &v); err != nil {
		return nil, fail(err, "reading git blob %s of %s/%s", sha, owner, repo)
	}
	if v.Size > maxBlobBytes {
		return nil, fmt.Errorf("git blob %s of %s/%s is %d bytes, over the %d-byte limit", sha, owner, repo, v.Size, maxBlobBytes)
	}
	if v.Encoding != "base64" {
		return nil, fmt.Errorf("git blob %s of %s/%s: unexpected encoding %q", sha, owner, repo, v.Encoding)
	}
	content, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(v.Content, "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("decoding git blob %s of %s/%s: %w", sha, owner, repo, err)
	}
	if got := GitBlobSHA(content); !strings.EqualFold(got, sha) {
		return nil, fmt.Errorf("git blob %s of %s/%s: %w (content hashes to %s)", sha, owner, repo, ErrBlobMismatch, got)
	}
	return content, nil
}

// ErrBlobMismatch is a blob whose content does not hash to the requested sha.
var ErrBlobMismatch = errors.New("content does not match the blob sha")

// GitBlobSHA is git's object id of a blob with this content.
func GitBlobSHA(content []byte) string {
	h := sha1.New() //nolint:gosec // see import
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
