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
	"path"
	"slices"
	"strings"
)

// makefile is what the audit understands of a GNU Makefile: variables,
// rules and their recipe lines, with the file and line of each, after
// includes. It is not make: conditionals are ignored (every branch counts,
// the last assignment wins), and functions are expanded only as far as
// needed to name programs and images. That is enough to see that
// "make docker.push" ends in "docker push $(IMAGE)".
type makefile struct {
	vars  map[string]makeVar
	rules []*makeRule
	first string // default goal: the first ordinary target
	// steps counts references expanded (maxExpandSteps); exhausted is set
	// once the budget is spent, and everything expands to "" from then on.
	steps     int
	exhausted bool
}

type makeVar struct {
	value       string
	conditional bool // ?=: the environment wins
}

type makeRule struct {
	targets []string
	prereqs []string
	recipe  []recipeLine
	pattern bool // a "%" rule
}

type recipeLine struct {
	text string
	file string
	line int
}

// Bounds on Makefile parsing. They are far above what real projects need
// (cert-manager's make/ tree is the deepest in the corpus at 3 levels).
const (
	maxIncludeDepth = 8
	maxExpandDepth  = 32
	maxExpandBytes  = 64 << 10
)

// loadMakefile reads file and its includes. Problems reaching an include
// (a limit, an escape) are reported through r; a missing optional include
// is not a problem.
func loadMakefile(r *repoReader, file string, from location) *makefile {
	mf := &makefile{vars: map[string]makeVar{}}
	mf.parse(r, file, path.Dir(file), 0, map[string]bool{}, from)
	return mf
}

func (mf *makefile) parse(r *repoReader, file, dir string, depth int, seen map[string]bool, from location) {
	if seen[file] {
		r.note(from, limitIncludeCycle, "include cycle: %s includes itself (directly or through other files); not read again", file)
		return
	}
	if depth > maxIncludeDepth {
		r.note(from, limitIncludeDepth, "%s is included more than %d levels deep; not read", file, maxIncludeDepth)
		return
	}
	content, err := r.read(file, from)
	if err != nil {
		return
	}
	seen[file] = true
	defer delete(seen, file)

	var cur []*makeRule
	lines := strings.Split(string(content), "\n")
	inDefine := ""
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		text := strings.TrimSuffix(lines[i], "\r")
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(strings.TrimSuffix(lines[i], "\r"))
		}
		if inDefine != "" {
			if strings.TrimSpace(text) == "endef" {
				inDefine = ""
			}
			continue
		}
		if recipe, ok := strings.CutPrefix(text, "\t"); ok {
			if len(cur) > 0 {
				rl := recipeLine{text: recipe, file: file, line: lineNo}
				for _, rule := range cur {
					rule.recipe = append(rule.recipe, rl)
				}
			}
			continue
		}
		trimmed := strings.TrimSpace(stripMakeComment(text))
		if trimmed == "" {
			continue
		}
		word, rest, _ := strings.Cut(trimmed, " ")
		switch word {
		case "define":
			inDefine = strings.TrimSpace(rest)
			continue
		case "ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "export", "unexport", "override", "vpath":
			if word != "export" && word != "override" || !strings.ContainsAny(rest, "=") {
				continue
			}
			trimmed = strings.TrimSpace(rest) // "export X = y" assigns
		case "include", "-include", "sinclude":
			cur = nil
			mf.include(r, mf.expand(rest, nil, 0), dir, depth, seen, location{file: file, line: lineNo})
			continue
		}
		if name, op, value, ok := splitAssignment(trimmed); ok {
			cur = nil
			mf.assign(name, op, value)
			continue
		}
		targets, prereqs, ok := splitRule(trimmed)
		if !ok {
			continue
		}
		cur = nil
		var rule *makeRule
		ts := strings.Fields(mf.expand(targets, nil, 0))
		if len(ts) == 0 {
			continue
		}
		// A target-specific assignment ("img: IMAGE = x") is a variable for
		// that target; treat it as global, which errs on seeing too much.
		if name, op, value, ok := splitAssignment(prereqs); ok {
			mf.assign(name, op, value)
			continue
		}
		pre, inline, _ := strings.Cut(prereqs, ";")
		pre, _, _ = strings.Cut(pre, "|") // order-only prerequisites are tools
		rule = &makeRule{targets: ts, prereqs: strings.Fields(mf.expand(pre, nil, 0))}
		for _, t := range ts {
			if strings.Contains(t, "%") {
				rule.pattern = true
			}
		}
		if strings.TrimSpace(inline) != "" {
			rule.recipe = append(rule.recipe, recipeLine{text: strings.TrimSpace(inline), file: file, line: lineNo})
		}
		mf.rules = append(mf.rules, rule)
		cur = []*makeRule{rule}
		if mf.first == "" && !rule.pattern && !strings.HasPrefix(ts[0], ".") {
			mf.first = ts[0]
		}
	}
}

func (mf *makefile) include(r *repoReader, names, dir string, depth int, seen map[string]bool, from location) {
	for n := range strings.FieldsSeq(names) {
		if strings.Contains(n, "$(") || strings.Contains(n, "${") {
			continue // unresolvable: generated or from the environment
		}
		p, ok := r.resolve(dir, n, from)
		if !ok {
			continue
		}
		if strings.ContainsAny(p, "*?[") {
			matches, err := r.glob(p)
			if err != nil {
				continue
			}
			for _, m := range matches {
				mf.parse(r, m, dir, depth+1, seen, from)
			}
			continue
		}
		if r.exists(p, from) {
			mf.parse(r, p, dir, depth+1, seen, from)
		}
	}
}

func (mf *makefile) assign(name, op, value string) {
	name = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(name, "override "), "export "))
	switch op {
	case "?=":
		if _, ok := mf.vars[name]; !ok {
			mf.vars[name] = makeVar{value: value, conditional: true}
		}
	case "+=":
		v := mf.vars[name]
		v.value = strings.TrimSpace(v.value + " " + value)
		mf.vars[name] = v
	case ":=", "::=", ":::=":
		mf.vars[name] = makeVar{value: mf.expand(value, nil, 0)}
	case "!=":
		mf.vars[name] = makeVar{value: "$(shell " + value + ")"}
	default:
		mf.vars[name] = makeVar{value: value}
	}
}

// splitAssignment recognises "NAME op value" for the assignment operators.
func splitAssignment(s string) (name, op, value string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=':
			j := i
			for j > 0 && strings.IndexByte(":?+!", s[j-1]) >= 0 {
				j--
			}
			name = strings.TrimSpace(s[:j])
			if name == "" || strings.ContainsAny(name, " \t") && !strings.HasPrefix(name, "override ") && !strings.HasPrefix(name, "export ") {
				return "", "", "", false
			}
			return name, s[j : i+1], strings.TrimSpace(s[i+1:]), true
		case ':':
			if i+1 < len(s) && s[i+1] != '=' && s[i+1] != ':' {
				return "", "", "", false // a rule
			}
		case '$':
			// skip a reference: "$(X): y" is a rule
			if i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
				if end := matchParen(s, i+1); end > 0 {
					i = end
				}
			}
		}
	}
	return "", "", "", false
}

// splitRule splits "targets: prerequisites" (also "targets:: prereqs").
func splitRule(s string) (targets, prereqs string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
				if end := matchParen(s, i+1); end > 0 {
					i = end
				}
			}
		case ':':
			rest := strings.TrimPrefix(s[i+1:], ":")
			return s[:i], rest, true
		}
	}
	return "", "", false
}

func stripMakeComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '#' {
			return s[:i]
		}
	}
	return s
}

// matchParen returns the index of the bracket closing the one at open.
func matchParen(s string, open int) int {
	closer := byte(')')
	if s[open] == '{' {
		closer = '}'
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case s[open]:
			depth++
		case closer:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// findRule returns the rule for target and the pattern stem, or nil.
func (mf *makefile) findRule(target string) (*makeRule, string) {
	var withRecipe *makeRule
	for _, r := range mf.rules {
		if r.pattern {
			continue
		}
		for _, t := range r.targets {
			if t == target {
				if len(r.recipe) > 0 {
					return r, ""
				}
				if withRecipe == nil {
					withRecipe = r
				}
			}
		}
	}
	if withRecipe != nil {
		// Merge the prerequisites of recipe-less rules of the same target.
		merged := &makeRule{targets: []string{target}}
		for _, r := range mf.rules {
			if !r.pattern && containsString(r.targets, target) {
				merged.prereqs = append(merged.prereqs, r.prereqs...)
			}
		}
		if pr, stem := mf.patternRule(target); pr != nil && len(pr.recipe) > 0 {
			merged.recipe = pr.recipe
			return merged, stem
		}
		return merged, ""
	}
	return mf.patternRule(target)
}

func (mf *makefile) patternRule(target string) (*makeRule, string) {
	for _, r := range mf.rules {
		if !r.pattern {
			continue
		}
		for _, t := range r.targets {
			pre, suf, _ := strings.Cut(t, "%")
			if len(target) >= len(pre)+len(suf) && strings.HasPrefix(target, pre) && strings.HasSuffix(target, suf) {
				return r, target[len(pre) : len(target)-len(suf)]
			}
		}
	}
	return nil, ""
}

func containsString(ss []string, s string) bool { return slices.Contains(ss, s) }

// makeScope is what a reference can resolve to while a recipe runs:
// command-line overrides, the makefile's variables, the environment, and
// the automatic variables of the rule.
type makeScope struct {
	overrides map[string]string
	env       func(string) string
	target    string
	stem      string
	prereqs   []string
}

func (sc *makeScope) lookupAuto(name string) (string, bool) {
	if sc == nil {
		return "", false
	}
	switch name {
	case "@":
		return sc.target, true
	case "*":
		return sc.stem, true
	case "<":
		if len(sc.prereqs) > 0 {
			return sc.prereqs[0], true
		}
		return "", true
	case "^", "+":
		return strings.Join(sc.prereqs, " "), true
	case "MAKE":
		return "make", true
	case "CURDIR":
		return ".", true
	}
	return "", false
}

// expand substitutes variable references and the common functions.
// Unknown variables expand to nothing, as in make; $(shell ...) stays as
// written (it is not run), so that a program name hidden behind it is not
// invented.
func (mf *makefile) expand(s string, sc *makeScope, depth int) string {
	if !strings.Contains(s, "$") {
		return s
	}
	if mf.exhausted || depth > maxExpandDepth {
		return "" // a variable that refers to itself: make refuses it, the audit drops it
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if b.Len() > maxExpandBytes {
			break
		}
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch n {
		case '$':
			b.WriteByte('$')
			i++
		case '(', '{':
			if mf.steps++; mf.steps > maxExpandSteps {
				mf.exhausted = true
				return b.String()
			}
			end := matchParen(s, i+1)
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(mf.reference(s[i+2:end], sc, depth+1))
			i = end
		default:
			b.WriteString(mf.variable(string(n), sc, depth+1))
			i++
		}
	}
	return b.String()
}

func (mf *makefile) variable(name string, sc *makeScope, depth int) string {
	if v, ok := sc.lookupAuto(name); ok {
		return v
	}
	if sc != nil {
		if v, ok := sc.overrides[name]; ok {
			return v
		}
	}
	v, defined := mf.vars[name]
	if sc != nil && sc.env != nil && (!defined || v.conditional) {
		if e := sc.env(name); e != "" {
			return e
		}
	}
	if !defined {
		return ""
	}
	return mf.expand(v.value, sc, depth)
}

func (mf *makefile) reference(ref string, sc *makeScope, depth int) string {
	fn, args, hasArgs := strings.Cut(ref, " ")
	if !hasArgs {
		// $(VAR:a=b) substitution references.
		if name, subst, ok := strings.Cut(ref, ":"); ok && strings.Contains(subst, "=") {
			from, to, _ := strings.Cut(subst, "=")
			words := strings.Fields(mf.variable(mf.expand(name, sc, depth), sc, depth))
			for i, w := range words {
				if stem, ok := strings.CutSuffix(w, from); ok {
					words[i] = stem + to
				}
			}
			return strings.Join(words, " ")
		}
		return mf.variable(mf.expand(ref, sc, depth), sc, depth)
	}
	arg := func(i int) string {
		parts := splitArgs(args)
		if i < len(parts) {
			return mf.expand(parts[i], sc, depth)
		}
		return ""
	}
	if out, ok := listFunction(fn, arg); ok {
		return out
	}
	switch fn {
	case "shell":
		return "$(shell " + args + ")"
	case "strip", "abspath", "realpath", "sort":
		return strings.Join(strings.Fields(arg(0)), " ")
	case "firstword":
		if f := strings.Fields(arg(0)); len(f) > 0 {
			return f[0]
		}
		return ""
	case "word":
		return ""
	case "if":
		if strings.TrimSpace(arg(0)) != "" {
			return arg(1)
		}
		return arg(2)
	case "or":
		for i := range splitArgs(args) {
			if v := strings.TrimSpace(arg(i)); v != "" {
				return v
			}
		}
		return ""
	case "filter", "filter-out", "findstring", "wildcard", "origin", "info", "warning", "error", "eval", "call", "value", "foreach":
		// Data-dependent or side effects only: the result does not name a
		// program. "call" and "foreach" would need evaluation; skip.
		return ""
	}
	return mf.variable(mf.expand(ref, sc, depth), sc, depth)
}

// splitArgs splits function arguments at top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// listFunction evaluates make's word-list functions.
func listFunction(fn string, arg func(int) string) (string, bool) {
	switch fn {
	case "notdir":
		var out []string //nolint:prealloc // the word count is not known before splitting
		for w := range strings.FieldsSeq(arg(0)) {
			out = append(out, path.Base(w))
		}
		return strings.Join(out, " "), true
	case "dir":
		var out []string //nolint:prealloc // as above
		for w := range strings.FieldsSeq(arg(0)) {
			out = append(out, path.Dir(w)+"/")
		}
		return strings.Join(out, " "), true
	case "addprefix", "addsuffix":
		p := arg(0)
		var out []string //nolint:prealloc // as above
		for w := range strings.FieldsSeq(arg(1)) {
			if fn == "addprefix" {
				out = append(out, p+w)
			} else {
				out = append(out, w+p)
			}
		}
		return strings.Join(out, " "), true
	case "subst":
		return strings.ReplaceAll(arg(2), arg(0), arg(1)), true
	case "patsubst":
		from, to := arg(0), arg(1)
		fp, fs, _ := strings.Cut(from, "%")
		var out []string //nolint:prealloc // as above
		for w := range strings.FieldsSeq(arg(2)) {
			if strings.HasPrefix(w, fp) && strings.HasSuffix(w, fs) && len(w) >= len(fp)+len(fs) {
				w = strings.ReplaceAll(to, "%", w[len(fp):len(w)-len(fs)])
			}
			out = append(out, w)
		}
		return strings.Join(out, " "), true
	}
	return "", false
}
