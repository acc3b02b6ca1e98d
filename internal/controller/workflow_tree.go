package controller

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// This file gives the workflow audit the repository as a file system: the default branch's git tree,
// listed with one request (a 304 when unchanged, thanks to the ETag cache), and the blobs the audit
// actually opens, fetched once and kept by their immutable sha. A resync of an unchanged repository
// therefore costs one conditional request for the whole audit.

// treeFS is a read-only fs.FS over a git tree. Blobs are fetched lazily; the first fetch error is kept
// in err so that the reconcile retries instead of publishing an audit of a partly read repository.
type treeFS struct {
	ctx      context.Context
	gh       githubapi.Client
	owner    string
	repo     string
	cacheKey string // API URL and repository, so that a blob is never served across repositories
	blobs    *blobCache
	files    map[string]githubapi.GitTreeEntry // blobs, symlinks included
	dirs     map[string][]string               // directory -> child names
	err      error
}

func newTreeFS(ctx context.Context, gh githubapi.Client, apiURL, owner, repo string, t *githubapi.GitTree, blobs *blobCache) *treeFS {
	f := &treeFS{
		ctx: ctx, gh: gh, owner: owner, repo: repo, blobs: blobs,
		cacheKey: apiURL + "\x00" + strings.ToLower(owner+"/"+repo),
		files:    map[string]githubapi.GitTreeEntry{}, dirs: map[string][]string{".": nil},
	}
	addDir := func(d string) {
		for d != "." {
			parent, name := path.Dir(d), path.Base(d)
			if _, ok := f.dirs[d]; ok {
				return
			}
			f.dirs[d] = nil
			f.dirs[parent] = append(f.dirs[parent], name)
			d = parent
		}
	}
	for _, e := range t.Entries {
		p := path.Clean(e.Path)
		if !fs.ValidPath(p) || p == "." {
			continue // GitHub does not list such paths; a hostile proxy might
		}
		switch e.Type {
		case "tree":
			addDir(p)
		case githubapi.GitTypeBlob:
			addDir(path.Dir(p))
			if _, dup := f.files[p]; !dup {
				f.files[p] = e
				f.dirs[path.Dir(p)] = append(f.dirs[path.Dir(p)], path.Base(p))
			}
		}
		// Submodules ("commit") are other repositories: not part of this audit.
	}
	for d := range f.dirs {
		slices.Sort(f.dirs[d])
	}
	return f
}

// blob returns an entry's content: from the cache, else from GitHub.
func (f *treeFS) blob(e githubapi.GitTreeEntry) ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	key := f.cacheKey + "\x00" + e.SHA
	if b, ok := f.blobs.get(key); ok {
		return b, nil
	}
	b, err := f.gh.GitBlob(f.ctx, f.owner, f.repo, e.SHA)
	if err != nil {
		f.err = err
		return nil, err
	}
	f.blobs.put(key, b)
	return b, nil
}

func (f *treeFS) lookup(op, name string) (githubapi.GitTreeEntry, bool, error) {
	if !fs.ValidPath(name) {
		return githubapi.GitTreeEntry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if e, ok := f.files[name]; ok {
		return e, false, nil
	}
	if _, ok := f.dirs[name]; ok {
		return githubapi.GitTreeEntry{}, true, nil
	}
	return githubapi.GitTreeEntry{}, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// follow resolves symbolic links within the tree (never out of it).
func (f *treeFS) follow(op, name string) (string, githubapi.GitTreeEntry, bool, error) {
	for range 8 {
		e, dir, err := f.lookup(op, name)
		if err != nil || dir || e.Mode != githubapi.GitModeSymlink {
			return name, e, dir, err
		}
		target, err := f.blob(e)
		if err != nil {
			return "", e, false, err
		}
		next := path.Clean(path.Join(path.Dir(name), string(target)))
		if path.IsAbs(string(target)) || !fs.ValidPath(next) {
			return "", e, false, &fs.PathError{Op: op, Path: name, Err: errors.New("symbolic link out of the repository")}
		}
		name = next
	}
	return "", githubapi.GitTreeEntry{}, false, &fs.PathError{Op: op, Path: name, Err: errors.New("too many symbolic links")}
}

// Open implements fs.FS.
func (f *treeFS) Open(name string) (fs.File, error) {
	name, e, dir, err := f.follow("open", name)
	if err != nil {
		return nil, err
	}
	if dir {
		return &treeDir{fs: f, name: name}, nil
	}
	b, err := f.blob(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info := f.info(name, e, false).(fileInfo)
	info.size = int64(len(b))
	return &treeFile{info: info, r: strings.NewReader(string(b))}, nil
}

// ReadFile implements fs.ReadFileFS.
func (f *treeFS) ReadFile(name string) ([]byte, error) {
	name, e, dir, err := f.follow("read", name)
	if err != nil {
		return nil, err
	}
	if dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	b, err := f.blob(e)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return bytes.Clone(b), nil // the caller may write to it; the cache is shared
}

// Stat implements fs.StatFS, following links; sizes come from the tree, so a large file is refused by
// the audit without being downloaded.
func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	name, e, dir, err := f.follow("stat", name)
	if err != nil {
		return nil, err
	}
	return f.info(name, e, dir), nil
}

// Lstat implements fs.ReadLinkFS.
func (f *treeFS) Lstat(name string) (fs.FileInfo, error) {
	e, dir, err := f.lookup("lstat", name)
	if err != nil {
		return nil, err
	}
	return f.info(name, e, dir), nil
}

// ReadLink implements fs.ReadLinkFS.
func (f *treeFS) ReadLink(name string) (string, error) {
	e, dir, err := f.lookup("readlink", name)
	if err != nil {
		return "", err
	}
	if dir || e.Mode != githubapi.GitModeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	b, err := f.blob(e)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(b), nil
}

// ReadDir implements fs.ReadDirFS.
func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	_, dir, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	out := make([]fs.DirEntry, 0, len(f.dirs[name]))
	for _, child := range f.dirs[name] {
		p := path.Join(name, child)
		e, isDir, _ := f.lookup("readdir", p)
		out = append(out, fs.FileInfoToDirEntry(f.info(p, e, isDir)))
	}
	return out, nil
}

func (f *treeFS) info(name string, e githubapi.GitTreeEntry, dir bool) fs.FileInfo {
	fi := fileInfo{name: path.Base(name), size: e.Size}
	switch {
	case dir:
		fi.mode = fs.ModeDir | 0o555
	case e.Mode == githubapi.GitModeSymlink:
		fi.mode = fs.ModeSymlink | 0o777
	default:
		fi.mode = 0o444
	}
	return fi
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

type treeFile struct {
	info fileInfo
	r    *strings.Reader
}

func (t *treeFile) Stat() (fs.FileInfo, error) { return t.info, nil }
func (t *treeFile) Read(b []byte) (int, error) { return t.r.Read(b) }
func (t *treeFile) Close() error               { return nil }

type treeDir struct {
	fs      *treeFS
	name    string
	entries []fs.DirEntry
	loaded  bool
}

func (d *treeDir) Stat() (fs.FileInfo, error) {
	return d.fs.info(d.name, githubapi.GitTreeEntry{}, true), nil
}
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *treeDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile: n > 0 returns at most n entries, then io.EOF.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.loaded {
		all, err := d.fs.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.loaded = all, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	out := d.entries[:k]
	d.entries = d.entries[k:]
	return out, nil
}

// blobCache keeps blob contents by (API, repository, sha), least recently used first out, within a byte
// budget. Blobs are immutable, so an entry is never stale.
type blobCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // of *blobEntry, front = most recent
	entries  map[string]*list.Element
}

type blobEntry struct {
	key  string
	data []byte
}

// defaultBlobCacheBytes holds the workflows, Makefiles and scripts of a few hundred repositories.
const defaultBlobCacheBytes = 64 << 20

func newBlobCache(maxBytes int) *blobCache {
	return &blobCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *blobCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*blobEntry).data, true
}

func (c *blobCache) put(key string, data []byte) {
	if len(data) > c.maxBytes/8 {
		return // one huge blob must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = c.order.PushFront(&blobEntry{key: key, data: data})
	c.bytes += len(data)
	for c.bytes > c.maxBytes && c.order.Len() > 0 {
		old := c.order.Back().Value.(*blobEntry)
		c.order.Remove(c.order.Back())
		delete(c.entries, old.key)
		c.bytes -= len(old.data)
	}
}
