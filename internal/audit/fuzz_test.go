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
