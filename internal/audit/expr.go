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
	"regexp"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"
)

// exprSpan is one ${{ }} expression inside a string value.
type exprSpan struct {
	start, end int                 // byte offsets of "${{" and just past "}}"
	node       actionlint.ExprNode // nil when the expression does not parse
}

// findExprs returns the ${{ }} expressions of s in order. actionlint's lexer
// finds where each one ends, so "}}" inside a string literal does not cut an
// expression short. An expression that does not parse is still returned
// (node == nil) up to the next "}}" so that its text can be inspected.
func findExprs(s string) []exprSpan {
	var spans []exprSpan
	off := 0
	for off < len(s) {
		i := strings.Index(s[off:], "${{")
		if i < 0 {
			break
		}
		start := off + i
		body := start + 3
		lex := actionlint.NewExprLexer(s[body:])
		node, err := actionlint.NewExprParser().Parse(lex)
		if err == nil && lex.Offset() > 0 && body+lex.Offset() <= len(s) {
			spans = append(spans, exprSpan{start: start, end: body + lex.Offset(), node: node})
			off = body + lex.Offset()
			continue
		}
		j := strings.Index(s[body:], "}}")
		if j < 0 {
			break // GitHub leaves an unterminated "${{" alone, and so do we
		}
		spans = append(spans, exprSpan{start: start, end: body + j + 2})
		off = body + j + 2
	}
	return spans
}

// exprPath is a property chain read by an expression, lower-cased, e.g.
// ["github" "event" "issue" "title"]. Dynamic indices and object filters
// become "*". safe is set when the value cannot reach the output as text
// because it only feeds a comparison, a negation or contains()/startsWith()/
// endsWith(), which all yield booleans.
type exprPath struct {
	segs []string
	safe bool
}

func (p exprPath) String() string { return strings.Join(p.segs, ".") }

// paths returns the property chains read by the expression span sp of s.
func (sp exprSpan) paths(s string) []exprPath {
	if sp.node != nil {
		var out []exprPath
		collectPaths(sp.node, false, &out)
		return out
	}
	return textualPaths(s[sp.start:sp.end])
}

// exprPaths returns the property chains of every expression in s.
func exprPaths(s string) []exprPath {
	spans := findExprs(s)
	out := make([]exprPath, 0, len(spans))
	for _, sp := range spans {
		out = append(out, sp.paths(s)...)
	}
	return out
}

func collectPaths(n actionlint.ExprNode, safe bool, out *[]exprPath) {
	switch n := n.(type) {
	case *actionlint.VariableNode, *actionlint.ObjectDerefNode, *actionlint.ArrayDerefNode, *actionlint.IndexAccessNode:
		segs, ok := chain(n, safe, out)
		if ok {
			*out = append(*out, exprPath{segs: segs, safe: safe})
		}
	case *actionlint.NotOpNode:
		collectPaths(n.Operand, true, out)
	case *actionlint.CompareOpNode:
		collectPaths(n.Left, true, out)
		collectPaths(n.Right, true, out)
	case *actionlint.LogicalOpNode:
		// a || b evaluates to one of its operands, so they stay unsafe.
		collectPaths(n.Left, safe, out)
		collectPaths(n.Right, safe, out)
	case *actionlint.FuncCallNode:
		s := safe || isBooleanFunc(n.Callee)
		for _, a := range n.Args {
			collectPaths(a, s, out)
		}
	}
}

// chain flattens a property access into segments. ok is false when the chain
// does not start at a context variable (e.g. fromJSON(x).y); the inner
// expressions are then collected on their own.
func chain(n actionlint.ExprNode, safe bool, out *[]exprPath) ([]string, bool) {
	switch n := n.(type) {
	case *actionlint.VariableNode:
		return []string{strings.ToLower(n.Name)}, true
	case *actionlint.ObjectDerefNode:
		segs, ok := chain(n.Receiver, safe, out)
		return append(segs, strings.ToLower(n.Property)), ok
	case *actionlint.ArrayDerefNode:
		segs, ok := chain(n.Receiver, safe, out)
		return append(segs, "*"), ok
	case *actionlint.IndexAccessNode:
		segs, ok := chain(n.Operand, safe, out)
		if lit, isLit := n.Index.(*actionlint.StringNode); isLit {
			return append(segs, strings.ToLower(lit.Value)), ok
		}
		// The index only selects; its own value is not printed.
		collectPaths(n.Index, true, out)
		return append(segs, "*"), ok
	default:
		collectPaths(n, safe, out)
		return nil, false
	}
}

func isBooleanFunc(name string) bool {
	switch strings.ToLower(name) {
	case "contains", "startswith", "endswith", "success", "failure", "always", "cancelled":
		return true
	}
	return false
}

var textualPathRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_-]*(?:\s*(?:\.\s*(?:[A-Za-z0-9_-]+|\*)|\[\s*'[^']*'\s*\]|\[[^\]]*\]))*`)

// textualPaths is the fallback for expressions actionlint cannot parse: it
// extracts dotted chains with a regexp and treats them all as unsafe, which
// errs on the side of reporting.
func textualPaths(expr string) []exprPath {
	var out []exprPath
	for _, m := range textualPathRE.FindAllString(expr, -1) {
		var segs []string
		rest := m
		for rest != "" {
			rest = strings.TrimLeft(rest, " \t\r\n.")
			switch {
			case strings.HasPrefix(rest, "['"):
				end := strings.Index(rest[2:], "'")
				if end < 0 {
					rest = ""
					continue
				}
				segs = append(segs, strings.ToLower(rest[2:2+end]))
				rest = strings.TrimLeft(rest[2+end+1:], " ]")
			case strings.HasPrefix(rest, "["):
				segs = append(segs, "*")
				end := strings.IndexByte(rest, ']')
				if end < 0 {
					rest = ""
					continue
				}
				rest = rest[end+1:]
			default:
				end := strings.IndexAny(rest, ".[ \t\r\n")
				if end < 0 {
					end = len(rest)
				}
				if end == 0 {
					rest = rest[1:]
					continue
				}
				segs = append(segs, strings.ToLower(rest[:end]))
				rest = rest[end:]
			}
		}
		if len(segs) > 0 {
			out = append(out, exprPath{segs: segs})
		}
	}
	return out
}

// pathPattern is a dotted path where "*" matches any one segment.
type pathPattern []string

func parsePatterns(ps ...string) []pathPattern {
	out := make([]pathPattern, len(ps))
	for i, p := range ps {
		out[i] = strings.Split(p, ".")
	}
	return out
}

// segMatch compares one segment; "*" on either side is a wildcard because a
// dynamic index in the workflow may select anything.
func segMatch(a, b string) bool { return a == b || a == "*" || b == "*" }

// prefixOf reports whether pattern p matches the first len(p) segments of
// path (the path reads p or something inside it).
func (p pathPattern) prefixOf(path []string) bool {
	if len(path) < len(p) {
		return false
	}
	for i := range p {
		if !segMatch(p[i], path[i]) {
			return false
		}
	}
	return true
}

// contains reports whether path is a proper prefix of p: the expression reads
// a whole object (e.g. toJSON(github.event.issue)) that contains p.
func (p pathPattern) contains(path []string) bool {
	if len(path) >= len(p) || len(path) == 0 {
		return false
	}
	for i := range path {
		if !segMatch(p[i], path[i]) {
			return false
		}
	}
	return true
}

// matchAny returns the first pattern that path reads, directly or as part of
// a whole object.
func matchAny(path []string, pats []pathPattern) (pathPattern, bool) {
	for _, p := range pats {
		if p.prefixOf(path) || p.contains(path) {
			return p, true
		}
	}
	return nil, false
}

// possibleValues returns the values v can take at run time as far as the
// workflow tells statically: the literal itself, a literal expression such as
// ${{ false }}, or every value of a matrix key when v is exactly
// ${{ matrix.key }}. known is false when the value depends on anything else
// (inputs, event data, fromJSON matrices...). A nil v yields no values.
func possibleValues(v *actionlint.String, job *actionlint.Job) (vals []string, known bool) {
	if v == nil {
		return nil, true
	}
	spans := findExprs(v.Value)
	if len(spans) == 0 {
		return []string{v.Value}, true
	}
	trimmed := strings.TrimSpace(v.Value)
	lead := len(v.Value) - len(strings.TrimLeft(v.Value, " \t\r\n"))
	if len(spans) != 1 || spans[0].start != lead || spans[0].end-spans[0].start != len(trimmed) || spans[0].node == nil {
		return nil, false
	}
	switch n := spans[0].node.(type) {
	case *actionlint.BoolNode:
		return []string{strconv.FormatBool(n.Value)}, true
	case *actionlint.StringNode:
		return []string{n.Value}, true
	case *actionlint.IntNode:
		return []string{strconv.Itoa(n.Value)}, true
	case *actionlint.NullNode:
		return []string{""}, true
	}
	segs, ok := chain(spans[0].node, false, &[]exprPath{})
	if !ok || len(segs) != 2 || segs[0] != "matrix" || segs[1] == "*" {
		return nil, false
	}
	return matrixValues(job, segs[1])
}

// matrixValues lists the literal values matrix key can take, from the rows
// and include entries. Exclude entries are ignored: the result may contain a
// value that never runs, which only makes the checks more cautious.
func matrixValues(job *actionlint.Job, key string) ([]string, bool) {
	if job == nil || job.Strategy == nil || job.Strategy.Matrix == nil {
		return nil, false
	}
	m := job.Strategy.Matrix
	if m.Expression != nil {
		return nil, false
	}
	var vals []string
	if row := m.Rows[key]; row != nil {
		if row.Expression != nil {
			return nil, false
		}
		for _, rv := range row.Values {
			s, ok := rv.(*actionlint.RawYAMLString)
			if !ok {
				return nil, false
			}
			vals = append(vals, s.Value)
		}
	}
	if m.Include != nil {
		if m.Include.Expression != nil {
			return nil, false
		}
		for _, c := range m.Include.Combinations {
			if c == nil || c.Expression != nil {
				return nil, false
			}
			if a := c.Assigns[key]; a != nil {
				s, ok := a.Value.(*actionlint.RawYAMLString)
				if !ok {
					return nil, false
				}
				vals = append(vals, s.Value)
			}
		}
	}
	if len(vals) == 0 {
		return nil, false
	}
	return vals, true
}

// alwaysEquals reports whether every possible value of v equals want
// (case-insensitively). Unknown values do not: this is used for mitigations,
// which must be proven.
func alwaysEquals(v *actionlint.String, job *actionlint.Job, want string) bool {
	vals, known := possibleValues(v, job)
	if !known || len(vals) == 0 {
		return false
	}
	for _, x := range vals {
		if !strings.EqualFold(strings.TrimSpace(x), want) {
			return false
		}
	}
	return true
}

// mayBeTrue reports whether v may be "true" at run time. Unknown values may:
// this is used for risky settings, which count unless proven off.
func mayBeTrue(v *actionlint.String, job *actionlint.Job) bool {
	vals, known := possibleValues(v, job)
	if !known {
		return true
	}
	for _, x := range vals {
		if strings.EqualFold(strings.TrimSpace(x), "true") {
			return true
		}
	}
	return false
}
