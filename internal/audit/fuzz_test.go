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
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAuditFile feeds arbitrary bytes to the engine. It calls auditFile, not
// AuditFile, so that a panic is a test failure instead of being turned into
// an SP000 finding by the safety net. Run it with
//
//	go test -fuzz=FuzzAuditFile -fuzztime=60s ./internal/audit/
func FuzzAuditFile(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil {
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("on: push\njobs:\n  j:\n    steps:\n      - run: ${{"))
	f.Add([]byte("on: push\njobs:\n  j:\n    steps:\n      - run: |\n"))

	f.Fuzz(func(t *testing.T, content []byte) {
		findings := auditFile("fuzz.yml", content, Options{})
		for i, x := range findings {
			if _, ok := LookupRule(x.Rule); !ok {
				t.Fatalf("unknown rule in %+v", x)
			}
			if x.Line < 0 || x.Column < 0 {
				t.Fatalf("negative position in %+v", x)
			}
			if x.Rule == "SP000" && len(findings) != 1 {
				t.Fatalf("SP000 must be the only finding, got %+v", findings)
			}
			if i > 0 && (findings[i-1].Line > x.Line || (findings[i-1].Line == x.Line && findings[i-1].Column > x.Column)) {
				t.Fatalf("findings not sorted: %+v", findings)
			}
		}
	})
}

// FuzzRunScript fuzzes the script of a literal run: block, where most of the
// hand-written parsing lives (shell tokenizer, expression scanner, position
// mapping). Besides not panicking, every SP010 finding must point exactly at
// the "${{" of the expression it reports.
func FuzzRunScript(f *testing.F) {
	for _, s := range []string{
		"echo ${{ github.event.issue.title }}",
		"a\n  b ${{ github.head_ref }} ${{ github.head_ref }}\n\nc",
		"docker push x && cosign sign ${{ steps.b.outputs.digest }}",
		"cat <<EOF\n${{ github.event.comment.body }}\nEOF",
		"echo '${{ toJSON(github.event.commits.*.message) }}' # ${{",
		"x=$(ko build .) `crane push a b` ${{ github['head_ref'] }}",
		"echo ${{\n github.event.issue.body }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		if !utf8.ValidString(script) {
			return
		}
		var b strings.Builder
		b.WriteString("on: issues\npermissions: {}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: |\n")
		for line := range strings.SplitSeq(script, "\n") {
			b.WriteString("          " + line + "\n")
		}
		src := b.String()
		lines := strings.Split(src, "\n")
		for _, x := range auditFile("fuzz.yml", []byte(src), Options{}) {
			if x.Rule != ruleTemplateInjection.ID {
				continue
			}
			if x.Line < 1 || x.Line > len(lines) {
				t.Fatalf("SP010 line %d out of range", x.Line)
			}
			runes := []rune(strings.TrimSuffix(lines[x.Line-1], "\r"))
			if x.Column < 1 || x.Column > len(runes) || !strings.HasPrefix(string(runes[x.Column-1:]), "${{") {
				t.Fatalf("SP010 at %d:%d does not point at an expression in %q", x.Line, x.Column, lines[x.Line-1])
			}
		}
	})
}
