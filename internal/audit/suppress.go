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
	"regexp"
	"strings"
)

// inlineIgnoreRE matches "# securepipeline: ignore[SP001,SP009] reason".
var inlineIgnoreRE = regexp.MustCompile(`#\s*securepipeline:\s*ignore\[([^\]]*)\]\s*(.*)$`)

// lineRange is the lines of a job or step, and what it is.
type lineRange struct {
	from, to int
	job      string
	action   string
}

// ranges returns the line ranges of the jobs and of their steps.
func (a *auditor) ranges() (jobs, steps []lineRange) {
	end := len(a.src.lines)
	for i, job := range a.jobs {
		to := end
		if i+1 < len(a.jobs) && a.jobs[i+1].ID.Pos != nil {
			to = a.jobs[i+1].ID.Pos.Line - 1
		}
		if job.ID.Pos == nil {
			continue
		}
		jr := lineRange{from: job.ID.Pos.Line, to: to, job: job.ID.Value}
		if wc := job.WorkflowCall; wc != nil && wc.Uses != nil {
			jr.action = actionName(wc.Uses.Value) // a reusable workflow job "uses" it
		}
		jobs = append(jobs, jr)
		var starts []int
		var actions []string
		for _, st := range job.Steps {
			if st == nil || st.Pos == nil || st.Pos.Line < job.ID.Pos.Line || st.Pos.Line > to {
				continue // shared through an alias from elsewhere
			}
			starts = append(starts, st.Pos.Line)
			act := ""
			if e := actionOf(st); e != nil {
				act = actionName(e.Uses.Value)
			}
			actions = append(actions, act)
		}
		for k, from := range starts {
			stepTo := to
			if k+1 < len(starts) {
				stepTo = starts[k+1] - 1
			}
			steps = append(steps, lineRange{from: from, to: stepTo, job: job.ID.Value, action: actions[k]})
		}
	}
	return jobs, steps
}

func containing(rs []lineRange, line int) *lineRange {
	for i := range rs {
		if rs[i].from <= line && line <= rs[i].to {
			return &rs[i]
		}
	}
	return nil
}

// annotate sets Job and Action of the findings in this file.
func (a *auditor) annotate() {
	jobs, steps := a.ranges()
	for i := range a.findings {
		f := &a.findings[i]
		if f.File != a.path || f.Line == 0 {
			continue
		}
		if j := containing(jobs, f.Line); j != nil {
			f.Job, f.Action = j.job, j.action
		}
		if s := containing(steps, f.Line); s != nil {
			f.Action = s.action
		}
	}
}

// inlineIgnores returns, per line, the rules a comment acknowledges there
// and the reason given.
func (a *auditor) inlineIgnores() map[int]map[string]string {
	out := map[int]map[string]string{}
	for i, l := range a.src.lines {
		if !strings.Contains(l, "securepipeline:") {
			continue
		}
		m := inlineIgnoreRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		reason := strings.TrimSpace(m[2])
		for r := range strings.SplitSeq(m[1], ",") {
			rule, ok := LookupRule(r)
			if !ok {
				continue
			}
			if out[i+1] == nil {
				out[i+1] = map[string]string{}
			}
			out[i+1][rule.ID] = reason
		}
	}
	return out
}

func (a *auditor) isCommentLine(line int) bool {
	if line < 1 || line > len(a.src.lines) {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(a.src.lines[line-1]), "#")
}

// inlineReason finds an inline acknowledgement of rule for a finding at
// line: on the line itself, in the comment lines right above it, or
// anywhere in its step (including the comment lines above the step).
func (a *auditor) inlineReason(ignores map[int]map[string]string, steps []lineRange, rule string, line int) (string, bool) {
	if len(ignores) == 0 {
		return "", false
	}
	check := func(l int) (string, bool) {
		r, ok := ignores[l][rule]
		return r, ok
	}
	above := func(l int) (string, bool) {
		for k := l - 1; a.isCommentLine(k); k-- {
			if r, ok := check(k); ok {
				return r, true
			}
		}
		return "", false
	}
	if r, ok := check(line); ok {
		return r, true
	}
	if r, ok := above(line); ok {
		return r, true
	}
	if s := containing(steps, line); s != nil {
		for l := s.from; l <= s.to; l++ {
			if r, ok := check(l); ok {
				return r, true
			}
		}
		return above(s.from)
	}
	return "", false
}

// suppress marks acknowledged and exempted findings.
func (a *auditor) suppress(fs []Finding, opts Options) {
	ignores := a.inlineIgnores()
	_, steps := a.ranges()
	for i := range fs {
		f := &fs[i]
		if f.Suppression != nil {
			continue
		}
		if reason, ok := a.exempt[exemptKey(f.Line, f.Column, f.Rule)]; ok {
			f.Severity = SeverityNote
			f.Suppression = &Suppression{Kind: SuppressedExempt, Justification: reason}
			continue
		}
		if f.File == a.path && f.Line > 0 {
			if reason, ok := a.inlineReason(ignores, steps, f.Rule, f.Line); ok {
				if reason == "" {
					reason = "acknowledged inline (no reason given)"
				}
				f.Suppression = &Suppression{Kind: SuppressedInSource, Justification: reason}
				continue
			}
		}
		applyIgnores(f, opts.Ignore)
	}
}

func exemptKey(line, col int, rule string) string {
	return fmt.Sprintf("%d:%d:%s", line, col, rule)
}

// applyIgnores marks f suppressed by the first Ignore that matches it.
func applyIgnores(f *Finding, ignores []Ignore) {
	if f.Suppression != nil {
		return
	}
	for _, ig := range ignores {
		if ig.Matches(*f) {
			f.Suppression = &Suppression{Kind: SuppressedExternal, Justification: strings.TrimSpace(ig.Reason)}
			return
		}
	}
}

// Matches reports whether the ignore acknowledges f. An ignore without a
// reason or with an unknown rule matches nothing (Validate says why).
func (ig Ignore) Matches(f Finding) bool {
	if ig.Validate() != nil {
		return false
	}
	rule, _ := LookupRule(ig.Rule)
	if rule.ID != f.Rule {
		return false
	}
	if ig.Path != "" && !globMatch(ig.Path, strings.TrimPrefix(f.File, "./")) {
		return false
	}
	if ig.Job != "" && !strings.EqualFold(ig.Job, f.Job) {
		return false
	}
	if want := actionName(ig.Action); want != "" && want != f.Action && !strings.HasPrefix(f.Action, want+"/") {
		return false // "owner/repo" also covers its sub-actions and workflows
	}
	return true
}

// Validate says what is wrong with an ignore, or nil.
func (ig Ignore) Validate() error {
	if _, ok := LookupRule(ig.Rule); !ok {
		return fmt.Errorf("unknown rule %q", ig.Rule)
	}
	if strings.TrimSpace(ig.Reason) == "" {
		return errors.New("a reason is required")
	}
	if ig.Path != "" {
		if _, err := globRegexp(ig.Path); err != nil {
			return fmt.Errorf("path %q: %w", ig.Path, err)
		}
	}
	return nil
}

func globMatch(glob, p string) bool {
	re, err := globRegexp(glob)
	return err == nil && re.MatchString(p)
}

// globRegexp compiles a path glob: "*" and "?" stay within one path
// segment, "**" spans any number of them, [...] is a character class.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(glob[i:], ']')
			if end < 0 {
				return nil, errors.New("unclosed [")
			}
			class := glob[i+1 : i+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
