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
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The real-world corpus lives outside the repository (CI keeps a read-only
// copy of shared/ beside the clone; SHARED_DIR points elsewhere). Its
// sources and commits are listed in its SOURCES.md files.
var (
	sharedDir       = cmpOr(os.Getenv("SHARED_DIR"), filepath.Join("..", "..", "..", "shared"))
	corpusRepos     = filepath.Join(sharedDir, "realworld-repos")
	corpusWorkflows = filepath.Join(sharedDir, "realworld-workflows")
)

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func corpusDirs(t testing.TB, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("real-world corpus not available at %s (CI keeps shared/ beside the clone): %v", root, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	sort.Strings(dirs)
	return dirs
}

func auditDir(t testing.TB, dir string) Result {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	return AuditRepository(root.FS(), Options{})
}

// TestDumpCorpusInventory prints the inventory (SP_DUMP=1), for reading.
func TestDumpCorpusInventory(t *testing.T) {
	if os.Getenv("SP_DUMP") == "" {
		t.Skip("set SP_DUMP=1 to print the corpus inventory")
	}
	for _, dir := range corpusDirs(t, corpusRepos) {
		res := auditDir(t, dir)
		b, _ := json.MarshalIndent(res.Inventory, "", "  ")
		t.Logf("== %s\n%s", filepath.Base(dir), b)
		for _, f := range res.Findings {
			if f.Rule == "SP012" || f.Rule == "SP000" || f.Rule == "SP011" || os.Getenv("SP_DUMP") == f.Rule {
				t.Logf("%s:%d: %s %s", f.File, f.Line, f.Rule, f.Message)
			}
		}
	}
}
