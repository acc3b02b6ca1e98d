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
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden audits realistic workflows in testdata/golden/*.yml and
// compares the complete text output with the .txt file next to each. It
// shows how the rules combine on one file. Regenerate after an intended
// change with: go test ./internal/audit/ -run TestGolden -update
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/golden/*.yml")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(paths).NotTo(BeEmpty())
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			g := NewWithT(t)
			content, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			var out bytes.Buffer
			g.Expect(WriteText(&out, AuditFile(filepath.ToSlash(path), content, Options{}))).To(Succeed())

			golden := strings.TrimSuffix(path, ".yml") + ".txt"
			if *update {
				g.Expect(os.WriteFile(golden, out.Bytes(), 0o644)).To(Succeed())
			}
			want, err := os.ReadFile(golden)
			g.Expect(err).NotTo(HaveOccurred(), "run with -update to create it")
			g.Expect(out.String()).To(Equal(string(want)))
		})
	}
}
