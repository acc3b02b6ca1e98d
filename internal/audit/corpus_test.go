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
	"slices"
	"strings"
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
	slices.Sort(dirs)
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

// expectedPublishers are the jobs of the corpus that publish container
// images to lasting registries, found by reading the workflows, actions,
// Makefiles, scripts and goreleaser/ko configurations of
// shared/realworld-repos (commits in its SOURCES.md), with the mechanism
// the workflow uses. Pushes to ttl.sh (kyverno's conformance tests) and to
// kind or local registries (cosign's kind-verify-attestation) are
// throw-away and not listed; binaries-only goreleaser runs are release
// artefacts, not images.
var expectedPublishers = []struct{ repo, workflow, job, mechanism string }{
	{"actions__checkout", "update-test-ubuntu-git.yml", "build-and-push-image", "docker/build-push-action"},
	// make ci-release -> "%:" rule -> go run -C .make (goreleaser inside a Go program).
	{"anchore__syft", "release.yaml", "release", "make"},
	{"aquasecurity__trivy", "reusable-release.yaml", "release", "goreleaser"},
	{"aquasecurity__trivy", "release.yaml", "release", "reusable-workflow"},
	{"aquasecurity__trivy", "canary.yaml", "build-binaries", "reusable-workflow"},
	{"argoproj__argo-cd", "image-reuse.yaml", "publish", "docker/build-push-action"},
	{"argoproj__argo-cd", "image.yaml", "build-and-publish", "reusable-workflow"},
	{"argoproj__argo-cd", "release.yaml", "argocd-image", "reusable-workflow"},
	{"crossplane__crossplane", "ci.yml", "build-artifacts", "nix"},
	{"crossplane__crossplane", "promote.yml", "promote", "nix"},
	{"external-secrets__external-secrets", "publish.yml", "build-publish", "make"},
	{"external-secrets__external-secrets", "ci.yml", "publish-artifacts", "reusable-workflow"},
	{"external-secrets__external-secrets", "rebuild-image.yml", "publish-artifacts", "reusable-workflow"},
	{"external-secrets__external-secrets", "release.yml", "promote", "make"},
	// make test.e2e.managed -> make -C e2e test.managed -> make -C ../ docker.push: three makes down.
	{"external-secrets__external-secrets", "e2e-managed.yml", "test-aws", "make"},
	{"external-secrets__external-secrets", "e2e-managed.yml", "test-gcp", "make"},
	{"external-secrets__external-secrets", "e2e-managed.yml", "test-azure", "make"},
	{"fluxcd__flux2", "release.yaml", "release-flux-cli", "goreleaser"},
	// fluxcd/gha-workflows' controller-release.yaml with packages: write: not readable here.
	{"fluxcd__source-controller", "release.yaml", "release", "reusable-workflow"},
	{"goreleaser__goreleaser", "release.yml", "goreleaser", "goreleaser"},
	{"goreleaser__goreleaser", "nightly-oss.yml", "goreleaser", "goreleaser"},
	// ./.github/actions/image/publish -> make ko-publish-* -> ko build.
	{"kyverno__kyverno", "release.yaml", "release-images", "composite-action"},
	{"kyverno__kyverno", "images-publish.yaml", "publish-images", "composite-action"},
	{"open-policy-agent__gatekeeper", "release.yaml", "tagged-release", "make"},
	{"open-policy-agent__gatekeeper", "pre-release.yaml", "pre-release", "make"},
	{"open-policy-agent__gatekeeper", "release-sample-images.yaml", "publish-sample-images", "make"},
	// A retry wrapper's command: make scorecard-ko -> ko build.
	{"ossf__scorecard", "publishimage.yml", "publishimage", "make"},
	{"sigstore__cosign", "build.yaml", "build", "make"},
	{"sigstore__cosign", "github-oidc.yaml", "build", "make"},
	{"zizmorcore__zizmor", "release-docker.yml", "build", "docker/build-push-action"},
	{"zizmorcore__zizmor", "release-docker.yml", "merge", "imagetools"},
	{"zizmorcore__zizmor", "release.yml", "release-docker", "reusable-workflow"},
}

// TestRealWorldInventory audits every repository tree of the corpus: no
// internal error anywhere, and every publishing job listed above is in the
// inventory with its mechanism, and no other job is listed as publishing
// images (what else is there was checked by reading).
func TestRealWorldInventory(t *testing.T) {
	type key struct{ repo, workflow, job string }
	want := map[key]string{}
	for _, e := range expectedPublishers {
		want[key{e.repo, ".github/workflows/" + e.workflow, e.job}] = e.mechanism
	}
	got := map[key]Publication{}
	for _, dir := range corpusDirs(t, corpusRepos) {
		res := auditDir(t, dir)
		for _, f := range res.Findings {
			if strings.Contains(f.Message, "internal error") {
				t.Errorf("%s/%s: %s", filepath.Base(dir), f.File, f.Message)
			}
		}
		for _, p := range res.Inventory {
			if p.Kind == KindImage {
				got[key{filepath.Base(dir), p.Workflow, p.Job}] = p
			}
		}
	}
	for k, mech := range want {
		p, ok := got[k]
		if !ok {
			t.Errorf("%s %s job %q publishes images but is not in the inventory", k.repo, k.workflow, k.job)
			continue
		}
		if p.Mechanism != mech {
			t.Errorf("%s %s job %q: mechanism %q, want %q (via %v)", k.repo, k.workflow, k.job, p.Mechanism, mech, p.Via)
		}
		if len(p.Evidence) == 0 {
			t.Errorf("%s %s job %q: no evidence", k.repo, k.workflow, k.job)
		}
	}
	for k, p := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s job %q listed as publishing images (%s via %v), not expected", k.repo, k.workflow, k.job, p.Mechanism, p.Via)
		}
	}
}

// TestRealWorldWorkflowFiles audits each of the 286 workflow files alone
// (no repository around them): none may fail internally.
func TestRealWorldWorkflowFiles(t *testing.T) {
	n := 0
	for _, dir := range corpusDirs(t, corpusWorkflows) {
		res := auditDir(t, dir)
		n += len(res.Files)
		for _, f := range res.Findings {
			if f.Rule == ruleParseError.ID {
				t.Errorf("%s/%s: %s", filepath.Base(dir), f.File, f.Message)
			}
		}
	}
	if n < 280 {
		t.Errorf("audited %d workflow files, want all of the corpus (286)", n)
	}
}

// BenchmarkRealWorldCorpus audits the whole corpus: the 20 repository
// trees, following everything, and the 286 workflow files on their own.
// Goal: under 2 s per iteration on the CI machine.
func BenchmarkRealWorldCorpus(b *testing.B) {
	repos, files := corpusDirs(b, corpusRepos), corpusDirs(b, corpusWorkflows)
	for b.Loop() {
		for _, dir := range append(append([]string{}, repos...), files...) {
			auditDir(b, dir)
		}
	}
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
