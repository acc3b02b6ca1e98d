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
	"fmt"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// sp010Positions returns "line:col" of the SP010 findings in src.
func sp010Positions(src string) []string {
	var out []string
	for _, f := range AuditFile("w.yml", []byte(src), Options{}) {
		if f.Rule == ruleTemplateInjection.ID {
			out = append(out, fmt.Sprintf("%d:%d", f.Line, f.Column))
		}
	}
	return out
}

func TestPositionsSurviveLineEndingsAndUnicode(t *testing.T) {
	g := NewWithT(t)
	b, err := os.ReadFile("testdata/sp010/run_block.yml")
	g.Expect(err).NotTo(HaveOccurred())
	lf := string(b)
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	g.Expect(sp010Positions(crlf)).To(Equal(sp010Positions(lf)))
	g.Expect(sp010Positions(lf)).To(Equal([]string{"10:24", "11:26"}))

	// Columns count code points, like the YAML parser.
	uni := "on: issues\npermissions: {}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: |\n          echo \"héllo ✓ ${{ github.event.issue.title }}\"\n"
	g.Expect(sp010Positions(uni)).To(Equal([]string{"8:25"}))
}

func TestScriptPositions(t *testing.T) {
	head := "on: issues\npermissions: {}\njobs:\n  j:\n    runs-on: x\n    steps:\n"
	expr := "${{ github.event.issue.title }}"
	cases := []struct {
		name string
		step string
		want []string
	}{
		{"plain", "      - run: echo " + expr + "\n", []string{"7:19"}},
		{"literal keep", "      - run: |+\n          a\n\n          b " + expr + "\n", []string{"10:13"}},
		{"literal with leading blank lines", "      - run: |\n\n\n          x " + expr + "\n", []string{"10:13"}},
		{"literal with comment header", "      - run: | # script\n          x " + expr + "\n", []string{"8:13"}},
		{"explicit indentation", "      - run: |2\n            x " + expr + "\n", []string{"8:15"}},
		{"same expression twice", "      - run: |\n          a " + expr + "\n          b " + expr + "\n", []string{"8:13", "9:13"}},
		{"folded", "      - run: >-\n          a\n          b " + expr + "\n", []string{"9:13"}},
		{"plain multi-line", "      - run: a\n          b " + expr + "\n", []string{"8:13"}},
		{"double-quoted escapes", "      - run: \"a\\tb\\\" " + expr + "\"\n", []string{"7:22"}},
		{"expression spanning lines", "      - run: |\n          echo ${{\n            github.event.issue.title }}\n", []string{"8:16"}},
		{"tagged", "      - run: !!str |\n          x " + expr + "\n", []string{"8:13"}},
		{"flow mapping step", "      - {run: 'x " + expr + "', shell: bash}\n", []string{"7:18"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(sp010Positions(head + tc.step)).To(Equal(tc.want))
		})
	}
}
