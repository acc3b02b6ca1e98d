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
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// WorkflowsDir is where GitHub Actions reads workflows from.
const WorkflowsDir = ".github/workflows"

// Result is the audit of a repository.
type Result struct {
	// Findings are all findings, sorted; suppressed ones carry a
	// Suppression (see Active and Suppressed).
	Findings []Finding
	// Inventory lists the publishing jobs, sorted by workflow and job.
	Inventory []Publication
	// Files are the workflow files audited, relative to the root.
	Files []string
	// Errors are workflow files that could not be read (an I/O error, a
	// symbolic link out of the tree, over MaxFileBytes): the audit of the
	// repository is incomplete.
	Errors []*ReadError
}

// ReadError is a workflow file (or folder) that could not be read.
type ReadError struct {
	// Path is relative to the repository root.
	Path string
	Err  error
}

func (e *ReadError) Error() string { return "cannot read " + e.Path + ": " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

// AuditRepository audits the workflows of a repository and follows, within
// it, what they run: local actions, reusable workflows, Makefiles, scripts,
// goreleaser and ko configurations. fsys is the repository root; its
// workflows are .github/workflows/*.yml|yaml, or, when there is no such
// folder, the *.yml|yaml files at the root (a folder of workflow files).
// Paths in the result are relative to the root. Everything read is bounded
// (see MaxFileBytes, MaxFilesRead, MaxFollowDepth); what a limit stops is
// reported as an SP012 finding naming the limit. fsys must confine paths to
// the tree (os.Root.FS does); symbolic links that leave it are refused.
func AuditRepository(fsys fs.FS, opts Options) (res Result) {
	repo := newRepoReader(fsys)
	dir := WorkflowsDir
	if !repo.isDir(dir) {
		dir = "."
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		res.Errors = append(res.Errors, &ReadError{Path: dir, Err: err})
		return res
	}
	var auditors []*auditor
	var all []Finding
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Name()))
		if ext != ".yml" && ext != ".yaml" || e.IsDir() {
			continue
		}
		p := path.Join(dir, e.Name())
		notes := len(repo.notes)
		content, err := repo.read(p, location{file: p})
		if err != nil {
			// An error, not a note: the workflow itself is missing from the audit.
			repo.notes = repo.notes[:notes]
			res.Errors = append(res.Errors, &ReadError{Path: p, Err: err})
			continue
		}
		res.Files = append(res.Files, p)
		a, parseFindings := newAuditor(p, content, repo)
		if a == nil {
			all = append(all, finish(parseFindings, opts)...)
			continue
		}
		auditors = append(auditors, a)
	}
	callers := reusableCallers(auditors)
	peers := map[string]*auditor{}
	for _, a := range auditors {
		peers[a.path] = a
	}
	for _, a := range auditors {
		a.callers = callers[a.path]
		a.peers = peers
		all = append(all, a.auditSafely(opts)...)
		for _, job := range a.jobs {
			if p := a.publication(job); p != nil {
				res.Inventory = append(res.Inventory, *p)
			}
		}
	}
	all = append(all, notesToFindings(repo.notes, opts)...)
	sortFindings(all)
	res.Findings = all
	slices.SortStableFunc(res.Inventory, func(x, y Publication) int {
		return cmp.Or(cmp.Compare(x.Workflow, y.Workflow), cmp.Compare(x.Job, y.Job))
	})
	return res
}

// auditSafely is run with AuditFile's safety net.
func (a *auditor) auditSafely(opts Options) (findings []Finding) {
	defer func() {
		if r := recover(); r != nil {
			f := newFinding(a.path, 0, 0, ruleParseError, fmt.Sprintf("internal error while auditing this file (please report it): %v", r))
			findings = finish([]Finding{f}, opts)
		}
	}()
	return a.run(opts)
}

func notesToFindings(notes []followNote, opts Options) []Finding {
	out := make([]Finding, 0, len(notes))
	for _, n := range notes {
		out = append(out, newFinding(n.at.file, n.at.line, n.at.col, ruleNotFollowed, fmt.Sprintf("%s [limit: %s]", n.msg, n.limit)))
	}
	out = finish(out, opts)
	for i := range out {
		applyIgnores(&out[i], opts.Ignore)
	}
	return out
}

// reusableCallers collects, per local reusable workflow, the literal
// inputs each calling job passes, so that ${{ inputs.config }} in the
// called workflow can be resolved.
func reusableCallers(as []*auditor) map[string][]map[string]string {
	out := map[string][]map[string]string{}
	for _, a := range as {
		for _, job := range a.jobs {
			wc := job.WorkflowCall
			if wc == nil || wc.Uses == nil || !strings.HasPrefix(strings.TrimSpace(wc.Uses.Value), "./") {
				continue
			}
			target := path.Clean(strings.TrimSpace(wc.Uses.Value))
			in := map[string]string{}
			for k, v := range wc.Inputs {
				if v != nil && v.Value != nil && !strings.Contains(v.Value.Value, "${{") {
					in[strings.ToLower(k)] = v.Value.Value
				}
			}
			out[target] = append(out[target], in)
		}
	}
	// Declared defaults fill what a caller leaves out.
	for _, a := range as {
		if calls := out[a.path]; len(calls) > 0 {
			defaults := a.inputDefaults()
			for _, c := range calls {
				for k, v := range defaults {
					if _, ok := c[k]; !ok {
						c[k] = v
					}
				}
			}
		}
	}
	return out
}
