/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Limits on what the audit reads from a repository. A repository is
// untrusted input: whoever can open a pull request can add a Makefile that
// includes itself or a symlink to /etc/shadow. Each limit has a name that
// the finding it causes (SP012) repeats, so a maintainer can tell a cap
// from a bug.
const (
	// MaxFileBytes is the largest file the audit reads (workflow, action,
	// Makefile, script or goreleaser config).
	MaxFileBytes = 1 << 20
	// MaxFilesRead bounds the files read while auditing one repository.
	MaxFilesRead = 512
	// MaxFollowDepth bounds how deep the audit follows one step: make
	// calling make calling a script is three levels.
	MaxFollowDepth = 6
	// maxSymlinkHops bounds a chain of symbolic links.
	maxSymlinkHops = 8
	// maxMakeTargets bounds the targets visited for one make invocation,
	// prerequisites included.
	maxMakeTargets = 128
	// MaxCommands bounds the commands expanded for one repository: a
	// script calling another a hundred times, six levels deep, must not
	// take 10^12 steps.
	MaxCommands = 200_000
	// maxExpandSteps bounds Makefile variable references expanded per
	// Makefile ("A = $(B)$(B)..." nested is exponential).
	maxExpandSteps = 1_000_000
)

// Limit names, as they appear in findings.
const (
	limitFileSize     = "max-file-size"
	limitFilesRead    = "max-files-read"
	limitFollowDepth  = "max-follow-depth"
	limitIncludeDepth = "max-include-depth"
	limitIncludeCycle = "include-cycle"
	limitCallCycle    = "call-cycle"
	limitEscape       = "path-escape"
	limitSymlink      = "symlink-escape"
	limitSymlinkHops  = "max-symlink-hops"
	limitUnreadable   = "unreadable"
	limitCommands     = "max-commands"
	limitExpansion    = "max-expansion"
)

// location is a place in a repository file.
type location struct {
	file      string
	line, col int
}

func (l location) String() string {
	if l.line > 0 {
		return fmt.Sprintf("%s:%d", l.file, l.line)
	}
	return l.file
}

// followNote is a reference the audit refused or could not follow because
// of a limit; each becomes an SP012 finding at the referencing place.
type followNote struct {
	at    location
	limit string
	msg   string
}

// repoReader reads files of one repository through fs.FS, enforcing the
// limits above. All paths are slash-separated and relative to the root.
// A nil fsys stands for "no repository" (a single workflow file audited on
// its own): nothing is followed.
type repoReader struct {
	fsys  fs.FS
	cache map[string]readResult
	reads int
	// commands counts the commands expanded (MaxCommands).
	commands int
	notes    []followNote
	seen     map[string]bool // note keys, to report each problem once

	// Parsed files, shared by every job that uses them: a local action used
	// seven times in a job is parsed once.
	existsCache map[string]bool
	makes       map[string]*makefile
	yamls       map[string]*yaml.Node
}

// parseYAML parses a repository YAML file once (nil when invalid or too
// large once aliases are expanded).
func (r *repoReader) parseYAML(file string, content []byte, from location) *yaml.Node {
	if n, ok := r.yamls[file]; ok {
		return n
	}
	var root yaml.Node
	var out *yaml.Node
	if yaml.Unmarshal(content, &root) == nil && len(root.Content) > 0 {
		if expandedSize(&root, map[*yaml.Node]int{}, maxExpandedNodes+1) > maxExpandedNodes {
			r.note(from, limitFileSize, "%s expands to over %d YAML nodes through aliases; not followed", file, maxExpandedNodes)
		} else {
			out = &root
		}
	}
	r.yamls[file] = out
	return out
}

type readResult struct {
	content []byte
	err     error
}

// errNotFollowed marks a read refused by a limit (already noted).
var errNotFollowed = errors.New("not followed")

func newRepoReader(fsys fs.FS) *repoReader {
	return &repoReader{fsys: fsys, cache: map[string]readResult{}, seen: map[string]bool{},
		existsCache: map[string]bool{}, makes: map[string]*makefile{}, yamls: map[string]*yaml.Node{}}
}

func (r *repoReader) note(at location, limit, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := at.String() + "\x00" + msg
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	r.notes = append(r.notes, followNote{at: at, limit: limit, msg: msg})
}

// resolve joins a reference written in dir (relative to the root) and
// refuses what would leave the repository. Absolute paths name files of the
// runner, not of the repository, and are not followed (no note).
func (r *repoReader) resolve(dir, name string, from location) (string, bool) {
	if r.fsys == nil || name == "" {
		return "", false
	}
	for _, prefix := range []string{"$GITHUB_WORKSPACE/", "${GITHUB_WORKSPACE}/", "${{ github.workspace }}/", "$(CURDIR)/", "${CURDIR}/", "$(PWD)/", "$PWD/"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			name, dir = rest, "."
		}
	}
	if path.IsAbs(name) || strings.HasPrefix(name, "~") || strings.ContainsAny(name, "$`\x00") {
		return "", false
	}
	p := path.Clean(path.Join(dir, name))
	if p == ".." || strings.HasPrefix(p, "../") {
		r.note(from, limitEscape, "%q leaves the repository (resolves to %s); not followed", name, p)
		return "", false
	}
	return p, true
}

// exists reports whether p is a file (following links inside the tree). A
// link that leaves the tree is refused and noted at from.
func (r *repoReader) exists(p string, from location) bool {
	if r.fsys == nil {
		return false
	}
	if v, ok := r.existsCache[p]; ok {
		return v
	}
	v := false
	if target, err := r.realPath(p, from, true); err == nil {
		info, err := fs.Stat(r.fsys, target)
		v = err == nil && info.Mode().IsRegular()
	}
	r.existsCache[p] = v
	return v
}

func (r *repoReader) isDir(p string) bool {
	if r.fsys == nil {
		return false
	}
	info, err := fs.Stat(r.fsys, p)
	return err == nil && info.IsDir()
}

func (r *repoReader) glob(pattern string) ([]string, error) {
	if r.fsys == nil {
		return nil, fs.ErrNotExist
	}
	m, err := fs.Glob(r.fsys, pattern)
	slices.Sort(m)
	return m, err
}

// realPath follows symbolic links at p (not in its parent directories,
// which the fs.FS implementation confines: os.Root refuses escapes, and the
// operator's git tree has no directory links that are followed), refusing
// links that leave the repository.
func (r *repoReader) realPath(p string, from location, report bool) (string, error) {
	rl, ok := r.fsys.(fs.ReadLinkFS)
	if !ok {
		return p, nil
	}
	for hops := 0; ; hops++ {
		info, err := rl.Lstat(p)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			return p, nil //nolint:nilerr // a missing file is for the read to report
		}
		if hops >= maxSymlinkHops {
			if report {
				r.note(from, limitSymlinkHops, "%s is a chain of more than %d symbolic links; not followed", p, maxSymlinkHops)
			}
			return "", fmt.Errorf("more than %d symbolic links in a row: %w", maxSymlinkHops, errNotFollowed)
		}
		target, err := rl.ReadLink(p)
		if err != nil {
			return "", err
		}
		next := path.Clean(path.Join(path.Dir(p), target))
		if path.IsAbs(target) || next == ".." || strings.HasPrefix(next, "../") {
			if report {
				r.note(from, limitSymlink, "%s is a symbolic link to %q, outside the repository; not followed", p, target)
			}
			return "", fmt.Errorf("symbolic link to %q, outside the repository: %w", target, errNotFollowed)
		}
		p = next
	}
}

// read returns the content of p, or an error. Limits hit are noted at from.
func (r *repoReader) read(p string, from location) ([]byte, error) {
	if r.fsys == nil {
		return nil, fs.ErrNotExist
	}
	if res, ok := r.cache[p]; ok {
		return res.content, res.err
	}
	content, err := r.readUncached(p, from)
	r.cache[p] = readResult{content, err}
	return content, err
}

func (r *repoReader) readUncached(p string, from location) ([]byte, error) {
	if r.reads >= MaxFilesRead {
		r.note(from, limitFilesRead, "more than %d files read for this repository; %s not read", MaxFilesRead, p)
		return nil, fmt.Errorf("more than %d files read: %w", MaxFilesRead, errNotFollowed)
	}
	target, err := r.realPath(p, from, true)
	if err != nil {
		return nil, err
	}
	info, err := fs.Stat(r.fsys, target)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.note(from, limitUnreadable, "%s cannot be read (%v); not followed", p, err)
		}
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fs.ErrNotExist
	}
	if info.Size() > MaxFileBytes {
		r.note(from, limitFileSize, "%s is %d bytes, over the %d-byte limit for files the audit reads; not followed", p, info.Size(), MaxFileBytes)
		return nil, fmt.Errorf("%d bytes, over the %d-byte limit: %w", info.Size(), MaxFileBytes, errNotFollowed)
	}
	r.reads++
	content, err := fs.ReadFile(r.fsys, target)
	if err != nil {
		r.note(from, limitUnreadable, "%s cannot be read (%v); not followed", p, err)
		return nil, err
	}
	if len(content) > MaxFileBytes { // grew between stat and read, or a lying FS
		r.note(from, limitFileSize, "%s is over the %d-byte limit for files the audit reads; not followed", p, MaxFileBytes)
		return nil, fmt.Errorf("over the %d-byte limit: %w", MaxFileBytes, errNotFollowed)
	}
	return content, nil
}
