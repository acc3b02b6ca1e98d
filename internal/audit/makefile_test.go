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
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"
)

// What a recipe line of target expands to, with env as the step's environment.
func recipeOf(t *testing.T, makefile, target string, env map[string]string, overrides map[string]string) []string {
	t.Helper()
	r := newRepoReader(fstest.MapFS{"Makefile": {Data: []byte(makefile)}})
	mf := loadMakefile(r, "Makefile", location{})
	rule, stem := mf.findRule(target)
	if rule == nil {
		return nil
	}
	sc := &makeScope{overrides: overrides, env: func(k string) string { return env[k] }, target: target, stem: stem, prereqs: rule.prereqs}
	var out []string
	for _, rl := range rule.recipe {
		out = append(out, strings.TrimLeft(mf.expand(rl.text, sc, 0), "@-+"))
	}
	return out
}

func TestMakefileExpansion(t *testing.T) {
	cases := []struct {
		name, makefile, target string
		env, overrides         map[string]string
		want                   []string
	}{
		{
			name:     "recursive, simple, conditional and appended variables",
			makefile: "A = $(B)-x\nB = b\nC := $(B)\nD ?= d\nD ?= ignored\nE = e\nE += f\nall:\n\techo $(A) $(C) $(D) ${E}\n",
			target:   "all", want: []string{"echo b-x b d e f"},
		},
		{
			name:     "the environment beats ?= but not =",
			makefile: "IMG ?= local\nTAG = v1\nall:\n\tpush $(IMG):$(TAG)\n",
			target:   "all", env: map[string]string{"IMG": "ghcr.io/a/b", "TAG": "env"}, want: []string{"push ghcr.io/a/b:v1"},
		},
		{
			name:     "command-line overrides beat everything",
			makefile: "IMG = local\nall:\n\tpush $(IMG)\n",
			target:   "all", overrides: map[string]string{"IMG": "quay.io/x"}, want: []string{"push quay.io/x"},
		},
		{
			name:     "functions",
			makefile: "L = a b\nall:\n\tx $(addprefix p-,$(L)) $(addsuffix .s,$(L)) $(subst a,z,$(L)) $(patsubst %,img/%,$(L)) $(L:b=c) $(notdir x/y) $(if $(L),yes,no) $(strip  a  )\n",
			target:   "all", want: []string{"x p-a p-b a.s b.s z b img/a img/b a c y yes a"},
		},
		{
			name:     "shell is not run, automatic variables, $$",
			makefile: "V = $(shell git describe)\nbuild-%:\n\tgo build -o $@ ./cmd/$* $$HOME $(V)\n",
			target:   "build-app", want: []string{"go build -o build-app ./cmd/app $HOME $(shell git describe)"},
		},
		{
			name:     "continuations, comments, export and target-specific lines",
			makefile: "export REG ?= ghcr.io # the registry\nall: ; echo one\nall2:\n\tdocker push \\\n\t  $(REG)/x\n",
			target:   "all2", want: []string{"docker push $(REG)/x"},
		},
		{
			name:     "a define block is not a rule",
			makefile: "define TPL\nfake:\n\tdocker push evil\nendef\nall:\n\techo\n",
			target:   "fake", want: nil,
		},
		{
			name:     "self-reference terminates",
			makefile: "A = $(A)x\nall:\n\techo $(A)\n",
			target:   "all",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := recipeOf(t, tc.makefile, tc.target, tc.env, tc.overrides)
			if tc.name == "self-reference terminates" {
				g.Expect(got).To(HaveLen(1)) // bounded by maxExpandDepth, whatever the exact count
				g.Expect(got[0]).To(HavePrefix("echo x"))
				g.Expect(got[0]).NotTo(ContainSubstring("$("))
				return
			}
			if tc.name == "continuations, comments, export and target-specific lines" {
				g.Expect(got).To(HaveLen(1))
				g.Expect(strings.Join(strings.Fields(got[0]), " ")).To(Equal("docker push ghcr.io/x"))
				return
			}
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestParseMakeArgs(t *testing.T) {
	cases := []struct {
		args    string
		dir     string
		file    string
		targets []string
		vars    map[string]string
		dryRun  bool
	}{
		{args: "", dir: "."},
		{args: "-C e2e test.managed", dir: "e2e", targets: []string{"test.managed"}},
		{args: "--directory=a -C b -f x.mk -j 4 -s IMG=x release", dir: "a/b", file: "x.mk", targets: []string{"release"}, vars: map[string]string{"IMG": "x"}},
		{args: "-j push", dir: ".", targets: []string{"push"}},
		{args: "-n release", dryRun: true},
	}
	for _, tc := range cases {
		t.Run(tc.args, func(t *testing.T) {
			g := NewWithT(t)
			inv, ok := parseMakeArgs(strings.Fields(tc.args), ".")
			g.Expect(ok).To(Equal(!tc.dryRun))
			if tc.dryRun {
				return
			}
			g.Expect(inv.dir).To(Equal(tc.dir))
			g.Expect(inv.file).To(Equal(tc.file))
			g.Expect(inv.targets).To(Equal(tc.targets))
			if tc.vars == nil {
				tc.vars = map[string]string{}
			}
			g.Expect(inv.overrides).To(Equal(tc.vars))
		})
	}
}
