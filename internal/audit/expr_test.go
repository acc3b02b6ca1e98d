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

//nolint:goconst // table tests repeat positions, rule ids and arguments on purpose
package audit

import (
	"testing"

	. "github.com/onsi/gomega"
	"github.com/rhysd/actionlint"
)

func TestFindExprs(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		want   []string // text of each span
		parsed []bool
	}{
		{"none", "echo hi", nil, nil},
		{"two", "a ${{ x }} b ${{y.z}}", []string{"${{ x }}", "${{y.z}}"}, []bool{true, true}},
		{"braces in string literal", "${{ format('}}{0}', a) }} tail", []string{"${{ format('}}{0}', a) }}"}, []bool{true}},
		{"unterminated", "echo ${{ github.sha", nil, nil},
		{"invalid expression kept", "x ${{ ?? }} y ${{ a }}", []string{"${{ ?? }}", "${{ a }}"}, []bool{false, true}},
		{"multi-line", "${{\n  github.sha\n}}", []string{"${{\n  github.sha\n}}"}, []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var got []string
			var parsed []bool
			for _, sp := range findExprs(tc.in) {
				got = append(got, tc.in[sp.start:sp.end])
				parsed = append(parsed, sp.node != nil)
			}
			g.Expect(got).To(Equal(tc.want))
			g.Expect(parsed).To(Equal(tc.parsed))
		})
	}
}

func TestExprPaths(t *testing.T) {
	cases := []struct {
		in   string
		want []string // path, "!" suffix when safe
	}{
		{"${{ github.event.issue.title }}", []string{"github.event.issue.title"}},
		{"${{ GitHub.Event.Issue.Title }}", []string{"github.event.issue.title"}},
		{"${{ github['event']['issue'].title }}", []string{"github.event.issue.title"}},
		{"${{ github.event.commits[0].message }}", []string{"github.event.commits.*.message"}},
		{"${{ github.event.commits.*.message }}", []string{"github.event.commits.*.message"}},
		{"${{ contains(github.event.issue.title, 'x') }}", []string{"github.event.issue.title!"}},
		{"${{ startsWith(github.head_ref, 'x') && 'a' || 'b' }}", []string{"github.head_ref!"}},
		{"${{ github.event.issue.title == 'x' }}", []string{"github.event.issue.title!"}},
		{"${{ !github.event.issue.title }}", []string{"github.event.issue.title!"}},
		{"${{ github.event.issue.title || 'none' }}", []string{"github.event.issue.title"}},
		{"${{ format('{0}', github.head_ref) }}", []string{"github.head_ref"}},
		{"${{ toJSON(github.event) }}", []string{"github.event"}},
		{"${{ fromJSON(steps.x.outputs.y).z }}", []string{"steps.x.outputs.y"}},
		{"${{ secrets[matrix.name] }}", []string{"matrix.name!", "secrets.*"}},
		{"${{ secrets['NPM_TOKEN'] }}", []string{"secrets.npm_token"}},
		// Unparseable: regexp fallback, all unsafe.
		{"${{ github.event.issue.title ?? x }}", []string{"github.event.issue.title", "x"}},
		{"${{ secrets['A'] ?? github.event.commits[x].message }}", []string{"secrets.a", "github.event.commits.*.message"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			var got []string
			for _, p := range exprPaths(tc.in) {
				s := p.String()
				if p.safe {
					s += "!"
				}
				got = append(got, s)
			}
			g.Expect(got).To(ConsistOf(tc.want))
		})
	}
}

func TestPatternMatching(t *testing.T) {
	pats := parsePatterns("github.event.issue.title", "github.event.commits.*.message")
	cases := []struct {
		path string
		want bool
	}{
		{"github.event.issue.title", true},
		{"github.event.issue.title.length", true},
		{"github.event.issue", true}, // whole object dumped
		{"github.event", true},
		{"github", true},
		{"github.event.issue.number", false},
		{"github.event.commits.*.message", true},
		{"github.event.commits.*.id", false},
		{"github.event.*.title", true}, // dynamic index may select "issue"
		{"env.title", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			_, ok := matchAny(parsePatterns(tc.path)[0], pats)
			NewWithT(t).Expect(ok).To(Equal(tc.want))
		})
	}
}

func TestPossibleValues(t *testing.T) {
	job := &actionlint.Job{Strategy: &actionlint.Strategy{Matrix: &actionlint.Matrix{
		Rows: map[string]*actionlint.MatrixRow{
			"flag":  {Values: []actionlint.RawYAMLValue{&actionlint.RawYAMLString{Value: "false"}, &actionlint.RawYAMLString{Value: "true"}}},
			"fixed": {Values: []actionlint.RawYAMLValue{&actionlint.RawYAMLString{Value: "false"}}},
			"obj":   {Values: []actionlint.RawYAMLValue{&actionlint.RawYAMLObject{}}},
			"dyn":   {Expression: &actionlint.String{Value: "${{ fromJSON(x) }}"}},
		},
		Include: &actionlint.MatrixCombinations{Combinations: []*actionlint.MatrixCombination{
			{Assigns: map[string]*actionlint.MatrixAssign{"extra": {Value: &actionlint.RawYAMLString{Value: "yes"}}}},
		}},
	}}}
	cases := []struct {
		in    string
		want  []string
		known bool
	}{
		{"false", []string{"false"}, true},
		{"  plain text ", []string{"  plain text "}, true},
		{"${{ false }}", []string{"false"}, true},
		{" ${{ 'x' }} ", []string{"x"}, true},
		{"${{ 3 }}", []string{"3"}, true},
		{"${{ null }}", []string{""}, true},
		{"${{ matrix.flag }}", []string{"false", "true"}, true},
		{"${{ matrix.FIXED }}", []string{"false"}, true},
		{"${{ matrix['extra'] }}", []string{"yes"}, true},
		{"${{ matrix.obj }}", nil, false},
		{"${{ matrix.dyn }}", nil, false},
		{"${{ matrix.missing }}", nil, false},
		{"${{ inputs.x }}", nil, false},
		{"a${{ false }}", nil, false},
		{"${{ false }}${{ false }}", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			vals, known := possibleValues(&actionlint.String{Value: tc.in}, job)
			g.Expect(known).To(Equal(tc.known))
			g.Expect(vals).To(Equal(tc.want))
		})
	}
	g := NewWithT(t)
	vals, known := possibleValues(nil, job)
	g.Expect(known).To(BeTrue())
	g.Expect(vals).To(BeEmpty())
	_, known = possibleValues(&actionlint.String{Value: "${{ matrix.flag }}"}, &actionlint.Job{})
	g.Expect(known).To(BeFalse())

	flag := &actionlint.String{Value: "${{ matrix.flag }}"}
	g.Expect(alwaysEquals(flag, job, "false")).To(BeFalse())
	g.Expect(mayBeTrue(flag, job)).To(BeTrue())
	fixed := &actionlint.String{Value: "${{ matrix.fixed }}"}
	g.Expect(alwaysEquals(fixed, job, "FALSE")).To(BeTrue())
	g.Expect(mayBeTrue(fixed, job)).To(BeFalse())
	unknown := &actionlint.String{Value: "${{ inputs.x }}"}
	g.Expect(alwaysEquals(unknown, job, "false")).To(BeFalse())
	g.Expect(mayBeTrue(unknown, job)).To(BeTrue())
}
