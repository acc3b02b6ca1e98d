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
	"testing"
	"testing/fstest"
)

// FuzzFollowRepository fuzzes what the audit follows from a fixed
// workflow: a Makefile, a script, a local action and a goreleaser
// configuration, all attacker-controlled. The audit must terminate without
// panicking (AuditRepository's safety net is bypassed: auditors run bare).
//
//	go test -run '^$' -fuzz=FuzzFollowRepository -fuzztime=60s ./internal/audit/
func FuzzFollowRepository(f *testing.F) {
	f.Add("IMG ?= ghcr.io/a/b\nall: x\n\t$(MAKE) -C sub push\nx:\n\tdocker push $(IMG)\ninclude *.mk\n",
		"#!/bin/sh\ncd sub && make $(echo \"$(x)\")\n./run.sh\n",
		"runs:\n  using: composite\n  steps:\n    - run: make ${{ inputs.t }}\n      shell: bash\n",
		"dockers_v2:\n  - images: [ghcr.io/a/b]\ndocker_signs:\n  - artifacts: all\n")
	f.Add("$(", "\"$(\"$(", "runs: [", "dockers: *a")
	f.Add("A = $(A)$(A)\nall:\n\techo $(A)\n", "source run.sh\n", "runs: {using: node20}", "kos: [{}]")
	f.Fuzz(func(t *testing.T, makefile, script, action, goreleaser string) {
		fsys := fstest.MapFS{
			".github/workflows/r.yml": {Data: []byte(`on: push
permissions: {}
jobs:
  r:
    runs-on: x
    steps:
      - uses: ./act
        with: {t: all}
      - run: make all && ./run.sh
      - uses: goreleaser/goreleaser-action@v6
`)},
			"Makefile":         {Data: []byte(makefile)},
			"sub/Makefile":     {Data: []byte(makefile)},
			"x.mk":             {Data: []byte(makefile)},
			"run.sh":           {Data: []byte(script)},
			"act/action.yml":   {Data: []byte(action)},
			".goreleaser.yaml": {Data: []byte(goreleaser)},
		}
		repo := newRepoReader(fsys)
		content, _ := repo.read(".github/workflows/r.yml", location{})
		a, _ := newAuditor(".github/workflows/r.yml", content, repo)
		if a == nil {
			t.Fatal("the fixed workflow must parse")
		}
		for _, check := range checks {
			check(a)
		}
		for _, job := range a.jobs {
			if p := a.publication(job); p != nil && p.Workflow != ".github/workflows/r.yml" {
				t.Fatalf("publication of the wrong workflow: %+v", p)
			}
		}
	})
}
