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
)

// BenchmarkAuditLargeScript guards against quadratic behaviour when a long
// script holds many findings (positions are located incrementally).
func BenchmarkAuditLargeScript(b *testing.B) {
	src := []byte("on: issues\npermissions: {}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: >\n" +
		strings.Repeat("          echo \"${{ github.event.issue.title }}\" && docker push x\n", 5000))
	b.ReportAllocs()
	for b.Loop() {
		AuditFile("w.yml", src, Options{})
	}
}

// BenchmarkAuditFixtures measures a typical mix of workflows.
func BenchmarkAuditFixtures(b *testing.B) {
	files := fixtureFiles(b)
	b.ResetTimer()
	for b.Loop() {
		AuditFiles(files, Options{})
	}
}
