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
	"path/filepath"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
)

// Severity is how serious a finding is. The values match SARIF result levels
// so they can be emitted without translation.
type Severity string

const (
	// SeverityError marks findings that are exploitable or break the pipeline.
	SeverityError Severity = "error"
	// SeverityWarning marks weaknesses that should be fixed.
	SeverityWarning Severity = "warning"
	// SeverityNote marks hardening advice.
	SeverityNote Severity = "note"
)

// Finding is one problem found in one workflow file. Line and Column are
// 1-based; 0 means the position is unknown (only possible for SP000). Columns
// count Unicode code points, as the YAML parser does.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Job is the id of the job the finding is in, when it is in one.
	Job string `json:"job,omitempty"`
	// Action is the action ("owner/repo[/path]") of the step the finding
	// is in, when that step uses one.
	Action string `json:"action,omitempty"`
	// Suppression is set when the finding is acknowledged (an inline
	// comment or an Ignore) or exempted by the audit itself. Suppressed
	// findings are listed separately, never dropped.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppression says why a finding does not count.
type Suppression struct {
	// Kind is "inSource" (a comment in the file), "external" (an Ignore of
	// the configuration) or "exempt" (the audit's own exemption, such as
	// an action that must be referenced by tag), as SARIF spells the first
	// two.
	Kind string `json:"kind"`
	// Justification is the reason given.
	Justification string `json:"justification"`
}

// Suppression kinds.
const (
	SuppressedInSource = "inSource"
	SuppressedExternal = "external"
	SuppressedExempt   = "exempt"
)

// Options tunes an audit run.
type Options struct {
	// Disabled lists rule ids (such as "SP002") whose findings are dropped.
	// Rule names ("unpinned-action") are accepted too, case-insensitively.
	Disabled []string
	// Ignore acknowledges findings: they are reported as suppressed.
	Ignore []Ignore
}

// Ignore acknowledges the findings of one rule in the files matching Path,
// optionally only in one job or for one action.
type Ignore struct {
	// Rule is a rule id or name.
	Rule string
	// Path is a path.Match glob on the file path relative to the
	// repository root ("*" does not cross "/"); "**" matches any number of
	// directories. Empty matches every file.
	Path string
	// Job, when set, limits the ignore to findings in that job.
	Job string
	// Action, when set, limits it to findings on steps using that action
	// ("owner/repo" or "owner/repo/path", any ref, case-insensitive).
	Action string
	// Reason is why; it is mandatory and shown with the finding.
	Reason string
}

// AuditFile audits one workflow file. path is only used to label findings.
// The result is sorted by file, line, column and rule. A file that cannot be
// parsed as a workflow yields exactly one SP000 finding. AuditFile never
// panics: an unexpected internal failure is reported as SP000 too, so one bad
// file cannot take down a scan of a whole repository.
func AuditFile(path string, content []byte, opts Options) (findings []Finding) {
	defer func() {
		if r := recover(); r != nil {
			f := newFinding(path, 0, 0, ruleParseError, fmt.Sprintf("internal error while auditing this file (please report it): %v", r))
			findings = finish([]Finding{f}, opts)
		}
	}()
	return auditFile(path, content, opts)
}

// Active returns the findings that are not suppressed.
func Active(fs []Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		if f.Suppression == nil {
			out = append(out, f)
		}
	}
	return out
}

// Suppressed returns the suppressed findings.
func Suppressed(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Suppression != nil {
			out = append(out, f)
		}
	}
	return out
}

// AuditFiles audits several files, keyed by path, and returns all findings
// sorted by file, line, column and rule.
func AuditFiles(files map[string][]byte, opts Options) []Finding {
	all := make([]Finding, 0, len(files))
	for p, b := range files {
		all = append(all, AuditFile(p, b, opts)...)
	}
	sortFindings(all)
	return all
}

// IsWorkflowFile reports whether path names a GitHub Actions workflow, that
// is a .yml or .yaml file directly inside a .github/workflows directory
// (GitHub ignores sub-directories there). Both slash styles are accepted so
// Windows paths work too.
func IsWorkflowFile(path string) bool {
	p := strings.ReplaceAll(filepath.ToSlash(path), `\`, "/")
	slash := strings.LastIndexByte(p, '/')
	dir, base := p[:max(slash, 0)], p[slash+1:]
	ext := strings.ToLower(filepath.Ext(base))
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	return dir == ".github/workflows" || strings.HasSuffix(dir, "/.github/workflows")
}

// auditFile is AuditFile without the recover safety net, so that the fuzz
// test sees real panics instead of SP000 findings.
func auditFile(path string, content []byte, opts Options) []Finding {
	a, fs := newAuditor(path, content, newRepoReader(nil))
	if a == nil {
		return finish(fs, opts)
	}
	return a.run(opts)
}

// newAuditor parses a workflow; on a parse error it returns the SP000.
func newAuditor(path string, content []byte, repo *repoReader) (*auditor, []Finding) {
	wf, perr := parseWorkflow(content)
	if perr != nil {
		return nil, []Finding{newFinding(path, perr.line, perr.col, ruleParseError, perr.msg)}
	}
	return &auditor{
		path:     path,
		src:      newSource(content),
		wf:       wf,
		jobs:     sortedJobs(wf),
		repo:     repo,
		opsCache: map[*actionlint.Job][]op{},
		pubCache: map[*actionlint.Job]*Publication{},
		exempt:   map[string]string{},
	}, nil
}

func (a *auditor) run(opts Options) []Finding {
	for _, check := range checks {
		check(a)
	}
	a.annotate()
	fs := finish(a.findings, opts)
	a.suppress(fs, opts)
	return fs
}

// auditor carries the state shared by the checks of one file.
type auditor struct {
	path     string
	src      *source
	wf       *actionlint.Workflow
	jobs     []*actionlint.Job // in source order, so output is stable
	findings []Finding

	repo     *repoReader // the repository, for following references
	opsCache map[*actionlint.Job][]op
	pubCache map[*actionlint.Job]*Publication
	// callers are the inputs other workflows of the repository call this
	// one with (jobs.<id>.uses: ./.github/workflows/this.yml).
	callers []map[string]string
	// peers are the other workflows of the repository, by path.
	peers map[string]*auditor
	// exempt holds the audit's own exemptions by exemptKey.
	exempt map[string]string
}

// checks run in this order; the order only matters for readability of the
// code, the output is sorted anyway.
var checks = []func(*auditor){
	checkCheckoutCredentials,  // SP001
	checkUnpinnedActions,      // SP002
	checkMissingPermissions,   // SP003
	checkExcessivePermissions, // SP004
	checkImagePublishing,      // SP005, SP006
	checkKeylessSigning,       // SP007
	checkDangerousCheckout,    // SP008
	checkSecretsOutsideEnv,    // SP009
	checkTemplateInjection,    // SP010
	checkUntrustedArtifacts,   // SP011
}

// report records a finding at pos (which may be nil when unknown).
func (a *auditor) report(pos *actionlint.Pos, rule Rule, format string, args ...any) {
	line, col := 0, 0
	if pos != nil {
		line, col = pos.Line, pos.Col
	}
	a.findings = append(a.findings, newFinding(a.path, line, col, rule, fmt.Sprintf(format, args...)))
}

func newFinding(file string, line, col int, rule Rule, msg string) Finding {
	return Finding{
		File:     file,
		Line:     line,
		Column:   col,
		Rule:     rule.ID,
		Name:     rule.Name,
		Severity: rule.Severity,
		Message:  msg,
	}
}

// finish drops disabled rules and exact duplicates (a step shared through a
// YAML alias is reported once, at the anchor, not once per use) and sorts.
func finish(fs []Finding, opts Options) []Finding {
	disabled := map[string]bool{}
	for _, d := range opts.Disabled {
		disabled[strings.ToUpper(strings.TrimSpace(d))] = true
	}
	out := make([]Finding, 0, len(fs))
	seen := map[Finding]bool{}
	for _, f := range fs {
		if disabled[f.Rule] || disabled[strings.ToUpper(f.Name)] || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	sortFindings(out)
	return out
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(x, y Finding) int {
		return cmp.Or(
			cmp.Compare(x.File, y.File),
			cmp.Compare(x.Line, y.Line),
			cmp.Compare(x.Column, y.Column),
			cmp.Compare(x.Rule, y.Rule),
			cmp.Compare(x.Message, y.Message),
		)
	})
}

// sortedJobs returns the jobs in source order; actionlint keeps them in a map.
func sortedJobs(wf *actionlint.Workflow) []*actionlint.Job {
	jobs := make([]*actionlint.Job, 0, len(wf.Jobs))
	for _, j := range wf.Jobs {
		if j != nil && j.ID != nil {
			jobs = append(jobs, j)
		}
	}
	slices.SortFunc(jobs, func(x, y *actionlint.Job) int {
		return cmp.Or(comparePos(x.ID.Pos, y.ID.Pos), cmp.Compare(x.ID.Value, y.ID.Value))
	})
	return jobs
}

func comparePos(x, y *actionlint.Pos) int {
	if x == nil || y == nil {
		return cmp.Compare(boolInt(x != nil), boolInt(y != nil))
	}
	return cmp.Or(cmp.Compare(x.Line, y.Line), cmp.Compare(x.Col, y.Col))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
