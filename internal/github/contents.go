package github

import (
	"bytes"
	"context"
	"net/http"
	"strings"
)

// workflowsDir is where GitHub Actions looks for workflows; it does not look in subfolders.
const workflowsDir = ".github/workflows"

// WorkflowFiles implements Client: it lists the folder, then reads each *.yml and *.yaml file in it.
// Unchanged files cost a 304 each thanks to the ETag cache.
func (c *client) WorkflowFiles(ctx context.Context, owner, repo string) (map[string][]byte, error) {
	out := map[string][]byte{}
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, esc(owner), esc(repo), workflowsDir, nil)
	switch {
	case IsNotFound(err):
		return out, nil // no folder (or an empty repository): no workflows
	case err != nil:
		return nil, fail(err, "listing %s of %s/%s", workflowsDir, owner, repo)
	case file != nil:
		return out, nil // a file named .github/workflows holds no workflows
	}
	for _, entry := range dir {
		p := entry.GetPath()
		if entry.GetType() != "file" || !isWorkflowFile(p) {
			continue
		}
		content, err := c.fileContent(ctx, owner, repo, p)
		if err != nil {
			return nil, err
		}
		out[p] = content
	}
	return out, nil
}

// isWorkflowFile reports the names GitHub Actions reads workflows from.
func isWorkflowFile(p string) bool {
	return strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")
}

// fileContent reads one file on the default branch. Files over 1 MB come without content in JSON
// (encoding "none"), so those are read again as raw bytes.
func (c *client) fileContent(ctx context.Context, owner, repo, path string) ([]byte, error) {
	f, _, _, err := c.gh.Repositories.GetContents(ctx, esc(owner), esc(repo), path, nil)
	if err != nil {
		return nil, fail(err, "reading %s of %s/%s", path, owner, repo)
	}
	if f != nil && f.GetEncoding() != "none" {
		s, err := f.GetContent()
		if err != nil {
			return nil, fail(err, "decoding %s of %s/%s", path, owner, repo)
		}
		return []byte(s), nil
	}
	req, err := c.gh.NewRequest(http.MethodGet, repoPath(owner, repo)+"/contents/"+escapePath(path), nil)
	if err != nil {
		return nil, fail(err, "reading %s of %s/%s", path, owner, repo)
	}
	req.Header.Set("Accept", "application/vnd.github.raw")
	var buf bytes.Buffer
	if _, err := c.gh.Do(ctx, req, &buf); err != nil {
		return nil, fail(err, "reading %s of %s/%s as raw bytes", path, owner, repo)
	}
	return buf.Bytes(), nil
}

// escapePath escapes each segment of a slash-separated file path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = esc(s)
	}
	return strings.Join(segs, "/")
}
