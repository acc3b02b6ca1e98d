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

//nolint:goconst // table tests repeat file names and mechanisms on purpose
package audit

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"
)

// tree builds an in-memory repository from path -> content.
func tree(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for p, c := range files {
		m[p] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	return m
}

const wfHead = "on: push\npermissions: {}\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"

// step builds a workflow whose only job "release" has the given steps
// (each already indented as a list item under steps:).
func workflow(steps ...string) string {
	return wfHead + strings.Join(steps, "")
}

type pubWant struct {
	mechanism, signing, sbom, sbomKind string
	images                             []string
	notFollowed                        string // substring of one NotFollowed entry
}

func TestInventoryFollowsRepository(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  *pubWant // nil: not a publication
	}{
		{
			name: "make target pushes, variable from ?=",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: make release\n"),
				"Makefile":                "IMG ?= ghcr.io/acme/app:v1\nDOCKER = docker\n\nrelease: build\n\t@$(DOCKER) push $(IMG)\n\nbuild:\n\tdocker build -t $(IMG) .\n",
			},
			want: &pubWant{mechanism: "make", signing: "none", sbom: "false", images: []string{"ghcr.io/acme/app:v1"}},
		},
		{
			name: "step env overrides ?= and flags come through make variables",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: make image\n        env:\n          IMG: quay.io/acme/app\n          BUILD_ARGS: --push --sbom=true\n"),
				"Makefile":                "IMG ?= localhost:5000/app\nimage:\n\tdocker buildx build $(BUILD_ARGS) -t $(IMG) .\n",
			},
			want: &pubWant{mechanism: "make", signing: "none", sbom: "true", sbomKind: "buildkit", images: []string{"quay.io/acme/app"}},
		},
		{
			name: "three makes down, through include globs, then cosign",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: make -C e2e publish\n"),
				"e2e/Makefile":            "publish:\n\t$(MAKE) -C ../ docker.push IMAGE=ghcr.io/acme/e2e\n",
				"Makefile":                "include mk/*.mk\n",
				"mk/docker.mk":            "docker.push:\n\t$(MAKE) sign-it\n\tdocker push $(IMAGE)\nsign-it:\n\tcosign sign --yes $(IMAGE)\n",
			},
			want: &pubWant{mechanism: "make", signing: "keyless", sbom: "false", images: []string{"ghcr.io/acme/e2e"}},
		},
		{
			name: "cd before make",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: cd deploy && make push\n"),
				"deploy/Makefile":         "push:\n\tcrane copy a ghcr.io/acme/app:1\n",
			},
			want: &pubWant{mechanism: "make", signing: "none", sbom: "false", images: []string{"ghcr.io/acme/app:1"}},
		},
		{
			name: "bash -c runs its argument",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: bash -c \"docker push ghcr.io/acme/app:2\"\n"),
			},
			want: &pubWant{mechanism: "docker push", signing: "none", sbom: "false", images: []string{"ghcr.io/acme/app:2"}},
		},
		{
			name: "a script the step runs",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: ./hack/release.sh\n"),
				"hack/release.sh":         "#!/bin/sh\nIMG=ghcr.io/acme/app\ndocker buildx build --push -t \"$IMG\" .\ncosign sign --key env://KEY \"$IMG\"\n",
			},
			want: &pubWant{mechanism: "script", signing: "key", sbom: "false", images: []string{"ghcr.io/acme/app"}},
		},
		{
			name: "goreleaser action with -f, dockers_v2, docker_signs keyless and sboms",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --clean -f build/gr.yml\n"),
				"build/gr.yml":            "dockers_v2:\n  - images: [ghcr.io/acme/app]\ndocker_signs:\n  - artifacts: manifests\n    args: [sign, '${artifact}', --yes]\nsboms:\n  - artifacts: archive\n",
			},
			want: &pubWant{mechanism: "goreleaser", signing: "keyless", sbom: "true", sbomKind: "file", images: []string{"ghcr.io/acme/app"}},
		},
		{
			name: "goreleaser docker_signs with default args signs with a key",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: goreleaser release --clean\n"),
				".goreleaser.yaml":        "dockers:\n  - image_templates: ['acme/app:{{ .Tag }}']\ndocker_signs:\n  - artifacts: all\n",
			},
			want: &pubWant{mechanism: "goreleaser", signing: "key", sbom: "false", images: []string{"acme/app:{{ .Tag }}"}},
		},
		{
			name: "goreleaser snapshot publishes nothing",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --snapshot\n"),
				".goreleaser.yaml":        "dockers:\n  - image_templates: [ghcr.io/acme/app]\n",
			},
		},
		{
			name: "goreleaser kos: ko SBOM by default",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: goreleaser/goreleaser-action@v6\n"),
				".goreleaser.yml":         "kos:\n  - repositories: [ghcr.io/acme/app]\n",
			},
			want: &pubWant{mechanism: "goreleaser", signing: "none", sbom: "true", sbomKind: "ko", images: []string{"ghcr.io/acme/app"}},
		},
		{
			name: "local composite action with inputs, then make, then ko",
			files: map[string]string{
				".github/workflows/r.yml":            workflow("      - uses: ./.github/actions/publish\n        with:\n          target: ko-publish\n"),
				".github/actions/publish/action.yml": "inputs:\n  target: {required: true}\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo \"digest=$(make ${{ inputs.target }})\" >> $GITHUB_OUTPUT\n",
				"Makefile":                           "ko-publish:\n\tKO_DOCKER_REPO=ghcr.io/acme/app ko build --bare --sbom=none ./cmd/app\n",
				".ko.yaml":                           "defaultBaseImage: cgr.dev/chainguard/static\n",
			},
			want: &pubWant{mechanism: "composite-action", signing: "none", sbom: "false", images: []string{"ghcr.io/acme/app"}},
		},
		{
			name: "retry wrapper command",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: nick-fields/retry@v3\n        with:\n          command: |\n            docker push ghcr.io/acme/app:1\n"),
			},
			want: &pubWant{mechanism: "docker push", signing: "none", sbom: "false", images: []string{"ghcr.io/acme/app:1"}},
		},
		{
			name: "nix run after a registry login: reported as not followed",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n      - run: nix run .#push-images -- ghcr.io/acme/app\n"),
			},
			want: &pubWant{mechanism: "nix", signing: "unknown", sbom: "unknown", images: []string{}, notFollowed: "nix flake apps are not followed"},
		},
		{
			name: "a local JavaScript action after a login is not guessed",
			files: map[string]string{
				".github/workflows/r.yml":  workflow("      - uses: docker/login-action@v3\n      - uses: ./tools/pusher\n"),
				"tools/pusher/action.yaml": "runs:\n  using: node20\n  main: index.js\n",
			},
			want: &pubWant{mechanism: "local-action", signing: "unknown", sbom: "unknown", images: []string{}, notFollowed: "runs node20 code"},
		},
		{
			name: "build-push-action with attest-build-provenance and sbom",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          sbom: true\n          tags: ghcr.io/acme/app:1\n      - uses: actions/attest-build-provenance@v2\n"),
			},
			want: &pubWant{mechanism: "docker/build-push-action", signing: "github-attestation", sbom: "true", sbomKind: "buildkit", images: []string{"ghcr.io/acme/app:1"}},
		},
		{
			name: "cosign attest an SBOM",
			files: map[string]string{
				".github/workflows/r.yml": workflow("      - run: |\n          docker push ghcr.io/acme/app:1\n          cosign attest --yes --type cyclonedx --predicate bom.json ghcr.io/acme/app:1\n"),
			},
			want: &pubWant{mechanism: "docker push", signing: "none", sbom: "true", sbomKind: "cosign-attestation", images: []string{"ghcr.io/acme/app:1"}},
		},
		{name: "localhost registry", files: map[string]string{".github/workflows/r.yml": workflow("      - run: docker push localhost:5000/app\n")}},
		{name: "loopback registry", files: map[string]string{".github/workflows/r.yml": workflow("      - run: docker push 127.0.0.1:5000/app\n")}},
		{name: "*.local registry", files: map[string]string{".github/workflows/r.yml": workflow("      - run: KO_DOCKER_REPO=registry.local:5000/x ko build ./cmd\n")}},
		{name: "kind registry", files: map[string]string{".github/workflows/r.yml": workflow("      - run: docker push kind-registry:5000/app\n")}},
		{name: "ttl.sh through a variable", files: map[string]string{".github/workflows/r.yml": workflow("      - run: |\n          IMG=ttl.sh/app-${{ github.sha }}:1h\n          crane copy cgr.dev/x $IMG\n")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res := AuditRepository(tree(tc.files), Options{})
			for _, f := range res.Findings {
				g.Expect(f.Rule).NotTo(Equal("SP012"), f.Message)
				g.Expect(f.Rule).NotTo(Equal("SP000"), f.Message)
			}
			if tc.want == nil {
				g.Expect(res.Inventory).To(BeEmpty())
				return
			}
			g.Expect(res.Inventory).To(HaveLen(1))
			p := res.Inventory[0]
			g.Expect(p.Workflow).To(Equal(".github/workflows/r.yml"))
			g.Expect(p.Job).To(Equal("release"))
			g.Expect(p.Kind).To(Equal(KindImage))
			g.Expect(p.Mechanism).To(Equal(tc.want.mechanism), "via %v", p.Via)
			g.Expect(p.Signing).To(Equal(tc.want.signing))
			g.Expect(p.SBOM).To(Equal(tc.want.sbom))
			g.Expect(p.SBOMKind).To(Equal(tc.want.sbomKind))
			g.Expect(p.Images).To(Equal(tc.want.images))
			g.Expect(p.Evidence).NotTo(BeEmpty())
			if _, ok := tc.files[".ko.yaml"]; ok {
				g.Expect(p.Evidence).To(ContainElement(".ko.yaml"))
			}
			if tc.want.notFollowed != "" {
				g.Expect(strings.Join(p.NotFollowed, "\n")).To(ContainSubstring(tc.want.notFollowed))
			}
		})
	}
}

// Evidence points into the file that pushes, and SP005/SP006 are reported
// on the workflow step that leads there, naming the place.
func TestPublishingThroughMakeIsReportedAtTheStep(t *testing.T) {
	g := NewWithT(t)
	res := AuditRepository(tree(map[string]string{
		".github/workflows/r.yml": workflow("      - name: release\n        run: make release\n"),
		"Makefile":                "release:\n\tdocker push ghcr.io/acme/app\n",
	}), Options{})
	g.Expect(res.Inventory).To(HaveLen(1))
	g.Expect(res.Inventory[0].Evidence).To(ContainElement("Makefile:2"))
	var sp005 []Finding
	for _, f := range res.Findings {
		if f.Rule == "SP005" {
			sp005 = append(sp005, f)
		}
	}
	g.Expect(sp005).To(HaveLen(1))
	g.Expect(sp005[0].File).To(Equal(".github/workflows/r.yml"))
	g.Expect(sp005[0].Line).To(Equal(7), "the step's line")
	g.Expect(sp005[0].Message).To(ContainSubstring("at Makefile:2"))
}

// A reusable workflow publishes for the callers that let it: argo-cd's
// pattern of one caller with push: false and one with push: true.
func TestReusableWorkflowCallers(t *testing.T) {
	g := NewWithT(t)
	res := AuditRepository(tree(map[string]string{
		".github/workflows/image.yml": "on:\n  workflow_call:\n    inputs:\n      push: {type: boolean, default: false}\npermissions: {}\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          push: ${{ inputs.push }}\n          tags: ghcr.io/acme/app\n",
		".github/workflows/ci.yml":    "on: push\npermissions: {}\njobs:\n  build:\n    uses: ./.github/workflows/image.yml\n    with:\n      push: false\n  release:\n    uses: ./.github/workflows/image.yml\n    with:\n      push: true\n",
	}), Options{})
	jobs := make([]string, 0, len(res.Inventory))
	for _, p := range res.Inventory {
		jobs = append(jobs, p.Workflow+"#"+p.Job+"="+p.Mechanism)
	}
	g.Expect(jobs).To(ConsistOf(
		".github/workflows/ci.yml#release=reusable-workflow",
		".github/workflows/image.yml#publish=docker/build-push-action",
	))
}

func notesOf(res Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Rule == "SP012" {
			out = append(out, f.File+": "+f.Message)
		}
	}
	return out
}

// Hostile repositories: every refusal and limit is an SP012 finding that
// names the limit, and the audit terminates.
func TestHostileRepositories(t *testing.T) {
	big := strings.Repeat("# padding\n", MaxFileBytes/10+1)
	deep := map[string]string{".github/workflows/r.yml": workflow("      - run: ./s" + itoa(0) + ".sh\n")}
	for i := range MaxFollowDepth + 3 {
		deep["s"+itoa(i)+".sh"] = "./s" + itoa(i+1) + ".sh\n"
	}
	cases := []struct {
		name  string
		fsys  fstest.MapFS
		limit string
	}{
		{
			name: "include cycle",
			fsys: tree(map[string]string{
				".github/workflows/r.yml": workflow("      - run: make release\n"),
				"Makefile":                "include a.mk\nrelease:\n\techo\n",
				"a.mk":                    "include Makefile\n",
			}),
			limit: "include-cycle",
		},
		{
			name: "make target calling itself",
			fsys: tree(map[string]string{
				".github/workflows/r.yml": workflow("      - run: make loop\n"),
				"Makefile":                "loop:\n\t$(MAKE) loop\n",
			}),
			limit: "call-cycle",
		},
		{
			name: "scripts calling each other",
			fsys: tree(map[string]string{
				".github/workflows/r.yml": workflow("      - run: ./a.sh\n"),
				"a.sh":                    "./b.sh\n",
				"b.sh":                    "bash a.sh\n",
			}),
			limit: "call-cycle",
		},
		{
			name:  "script outside the repository",
			fsys:  tree(map[string]string{".github/workflows/r.yml": workflow("      - run: ../../../etc/profile.sh\n")}),
			limit: "path-escape",
		},
		{
			name:  "local action outside the repository",
			fsys:  tree(map[string]string{".github/workflows/r.yml": workflow("      - uses: ./../other/action\n")}),
			limit: "path-escape",
		},
		{
			name: "Makefile that is a symlink out of the tree",
			fsys: func() fstest.MapFS {
				m := tree(map[string]string{".github/workflows/r.yml": workflow("      - run: make\n")})
				m["Makefile"] = &fstest.MapFile{Data: []byte("../../../etc/passwd"), Mode: fs.ModeSymlink}
				return m
			}(),
			limit: "symlink-escape",
		},
		{
			name: "symlink loop",
			fsys: func() fstest.MapFS {
				m := tree(map[string]string{".github/workflows/r.yml": workflow("      - run: ./a.sh\n")})
				m["a.sh"] = &fstest.MapFile{Data: []byte("b.sh"), Mode: fs.ModeSymlink}
				m["b.sh"] = &fstest.MapFile{Data: []byte("a.sh"), Mode: fs.ModeSymlink}
				return m
			}(),
			limit: "max-symlink-hops",
		},
		{
			name: "oversized Makefile",
			fsys: tree(map[string]string{
				".github/workflows/r.yml": workflow("      - run: make\n"),
				"Makefile":                big,
			}),
			limit: "max-file-size",
		},
		{name: "scripts nested too deep", fsys: tree(deep), limit: "max-follow-depth"},
		{name: "scripts fanning out exponentially", fsys: tree(fanOut()), limit: "max-commands"},
		{
			name: "variables expanding exponentially",
			fsys: tree(map[string]string{
				".github/workflows/r.yml": workflow("      - run: make\n"),
				"Makefile":                expansionBomb(),
			}),
			limit: "max-expansion",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res := AuditRepository(tc.fsys, Options{})
			notes := notesOf(res)
			g.Expect(notes).NotTo(BeEmpty())
			g.Expect(strings.Join(notes, "\n")).To(ContainSubstring("[limit: " + tc.limit + "]"))
			for _, f := range res.Findings {
				g.Expect(f.Message).NotTo(ContainSubstring("internal error"))
			}
		})
	}
}

// fanOut is s0.sh calling s1.sh 50 times, s1.sh calling s2.sh 50 times...
func fanOut() map[string]string {
	files := map[string]string{".github/workflows/r.yml": workflow("      - run: ./s" + itoa(0) + ".sh\n")}
	for i := range 5 {
		files["s"+itoa(i)+".sh"] = strings.Repeat("./s"+itoa(i+1)+".sh\n", 50)
	}
	files["s"+itoa(5)+".sh"] = "echo leaf\n"
	return files
}

// expansionBomb is V30 = $(V29) x 100, ..., V0 empty: 100^30 references.
func expansionBomb() string {
	var b strings.Builder
	b.WriteString("V0 =\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "V%d = %s\n", i, strings.Repeat(fmt.Sprintf("$(V%d)", i-1), 100))
	}
	return b.String() + "all:\n\techo $(V30)\n"
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }

// The CLI reads repositories through os.Root: a symlink out of the
// checkout is refused, whatever the target.
func TestOSRootRefusesSymlinkOut(t *testing.T) {
	g := NewWithT(t)
	outside := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(outside, "Makefile"), []byte("all:\n\tdocker push ghcr.io/evil/x\n"), 0o644)).To(Succeed())
	dir := t.TempDir()
	g.Expect(os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, ".github", "workflows", "r.yml"), []byte(workflow("      - run: make\n")), 0o644)).To(Succeed())
	g.Expect(os.Symlink(filepath.Join(outside, "Makefile"), filepath.Join(dir, "Makefile"))).To(Succeed())
	root, err := os.OpenRoot(dir)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = root.Close() }()
	res := AuditRepository(root.FS(), Options{})
	g.Expect(res.Inventory).To(BeEmpty(), "nothing outside the checkout is read")
	g.Expect(strings.Join(notesOf(res), "\n")).To(ContainSubstring("[limit: symlink-escape]"))
}

// A folder of workflow files without .github/workflows still works.
func TestPlainFolderOfWorkflows(t *testing.T) {
	g := NewWithT(t)
	res := AuditRepository(tree(map[string]string{"a.yml": workflow("      - run: docker push ghcr.io/a/b\n"), "notes.txt": "x"}), Options{})
	g.Expect(res.Files).To(Equal([]string{"a.yml"}))
	g.Expect(res.Inventory).To(HaveLen(1))
}
