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
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const cleanWorkflow = `name: ci
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4
        with:
          persist-credentials: false
      - run: make test
`

// badWorkflow has SP003 at 4:3 (job "test") and SP002 at 7:15.
const badWorkflow = `name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@v5
      - run: make test
`

// writeTree creates files (path -> content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunExitCodes(t *testing.T) {
	root := writeTree(t, map[string]string{
		"repo/.github/workflows/ci.yml":   cleanWorkflow,
		"repo/.github/workflows/bad.yaml": badWorkflow,
		"repo/docker-compose.yml":         "services: {}\n",
		"clean/ci.yml":                    cleanWorkflow,
		"clean/README.md":                 "# not yaml\n",
		"mixed/ok.yml":                    cleanWorkflow,
		"mixed/bad.yml":                   badWorkflow,
		"mixed/nested/bad.yml":            badWorkflow,
		"empty/.keep":                     "",
		"broken.yml":                      "on: [push\n",
		"notes.txt":                       cleanWorkflow,
	})
	p := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string // substrings
		noStdout   bool
		stdoutNot  []string
		stderrNone bool
	}{
		{name: "no arguments", args: nil, code: 2, stderr: []string{"Usage:"}},
		{name: "unknown command", args: []string{"scan"}, code: 2, stderr: []string{`unknown command "scan"`}},
		{name: "help", args: []string{"help"}, code: 0, stdout: []string{"securepipeline audit"}},
		{name: "audit --help", args: []string{"audit", "-h"}, code: 0, stdout: []string{"Exit status"}},
		{name: "no path", args: []string{"audit"}, code: 2, stderr: []string{"no PATH given"}},
		{name: "unknown flag", args: []string{"audit", "--color", p("clean")}, code: 2, stderr: []string{"-color"}},
		{
			name: "unknown format", args: []string{"audit", "--format", "xml", p("clean")}, code: 2,
			stderr: []string{`unknown --format "xml"`},
		},
		{
			name: "unknown rule", args: []string{"audit", "--disable", "SP001,SP042", p("clean")}, code: 2,
			stderr: []string{`unknown rule "SP042"`},
		},
		{name: "missing path", args: []string{"audit", p("nope.yml")}, code: 2, stderr: []string{"cannot read", "nope.yml"}},
		{name: "clean file", args: []string{"audit", p("clean/ci.yml")}, code: 0, noStdout: true, stderrNone: true},
		{name: "clean dir", args: []string{"audit", p("clean")}, code: 0, noStdout: true, stderrNone: true},
		{name: "explicit file of any name", args: []string{"audit", p("notes.txt")}, code: 0, noStdout: true},
		{
			name: "repository dir audits .github/workflows only", args: []string{"audit", p("repo")}, code: 1,
			stdout: []string{
				filepath.Join("repo", ".github", "workflows", "bad.yaml") + ":7:15: SP002 unpinned-action: ",
				"bad.yaml:4:3: SP003 missing-permissions: ",
			},
			stdoutNot: []string{"docker-compose", "ci.yml"},
		},
		{
			name: "plain dir is not recursive", args: []string{"audit", p("mixed")}, code: 1,
			stdout: []string{"mixed" + string(filepath.Separator) + "bad.yml:7:15"}, stdoutNot: []string{"nested"},
		},
		{
			name: "flags after paths",
			args: []string{"audit", p("mixed"), "--disable", "SP002", "--disable=missing-permissions"},
			code: 0, noStdout: true,
		},
		{name: "double dash", args: []string{"audit", "--format=json", "--", p("clean")}, code: 0, stdout: []string{`"findings": []`}},
		{
			name: "parse error is a finding", args: []string{"audit", p("broken.yml")}, code: 1,
			stdout: []string{"SP000 parse-error"},
		},
		{name: "empty dir warns", args: []string{"audit", p("empty")}, code: 0, stderr: []string{"warning: no *.yml"}},
		{
			name: "rules", args: []string{"rules"}, code: 0,
			stdout: []string{"SP000", "SP010", "template-injection", "SEVERITY"},
		},
		{name: "rules json", args: []string{"rules", "--format", "json"}, code: 0, stdout: []string{`"id": "SP005"`}},
		{
			name: "rules bad format", args: []string{"rules", "--format", "sarif"}, code: 2,
			stderr: []string{"unknown --format"},
		},
		{name: "rules extra arg", args: []string{"rules", "x"}, code: 2, stderr: []string{"unexpected argument"}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"securepipeline "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			code, stdout, stderr := runCLI(tc.args...)
			g.Expect(code).To(Equal(tc.code), "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, s := range tc.stdout {
				g.Expect(stdout).To(ContainSubstring(s))
			}
			for _, s := range tc.stdoutNot {
				g.Expect(stdout).NotTo(ContainSubstring(s))
			}
			for _, s := range tc.stderr {
				g.Expect(stderr).To(ContainSubstring(s))
			}
			if tc.noStdout {
				g.Expect(stdout).To(BeEmpty())
			}
			if tc.stderrNone {
				g.Expect(stderr).To(BeEmpty())
			}
		})
	}
}

func TestRunJSONAndSARIF(t *testing.T) {
	root := writeTree(t, map[string]string{".github/workflows/bad.yml": badWorkflow})
	t.Chdir(root)

	g := NewWithT(t)
	code, stdout, _ := runCLI("audit", "--format", "json", ".")
	g.Expect(code).To(Equal(1))
	var report struct {
		Findings   []map[string]any `json:"findings"`
		Suppressed []map[string]any `json:"suppressed"`
	}
	g.Expect(json.Unmarshal([]byte(stdout), &report)).To(Succeed())
	findings := report.Findings
	g.Expect(findings).To(HaveLen(2))
	g.Expect(report.Suppressed).To(BeEmpty())
	g.Expect(findings[0]).To(HaveKeyWithValue("file", filepath.Join(".github", "workflows", "bad.yml")))
	g.Expect(findings[0]).To(HaveKeyWithValue("rule", "SP003"))
	g.Expect(findings[1]).To(HaveKeyWithValue("rule", "SP002"))
	g.Expect(findings[1]).To(HaveKeyWithValue("line", 7.0))
	g.Expect(findings[1]).To(HaveKeyWithValue("column", 15.0))

	// Absolute paths under the working directory become repository-relative
	// URIs, as GitHub code scanning expects.
	code, stdout, _ = runCLI("audit", "--format", "sarif", filepath.Join(root, ".github", "workflows", "bad.yml"))
	g.Expect(code).To(Equal(1))
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	g.Expect(json.Unmarshal([]byte(stdout), &log)).To(Succeed())
	g.Expect(log.Version).To(Equal("2.1.0"))
	g.Expect(log.Runs[0].Results).To(HaveLen(2))
	loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	g.Expect(loc.URI).To(Equal(".github/workflows/bad.yml"))
	g.Expect(loc.URIBaseID).To(Equal("%SRCROOT%"))

	code, stdout, _ = runCLI("audit", "--format", "sarif", "--disable", "SP002,SP003", ".")
	g.Expect(code).To(Equal(0))
	g.Expect(stdout).To(ContainSubstring(`"results": []`))
}

func TestDanglingSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	g := NewWithT(t)
	root := writeTree(t, map[string]string{"ok.yml": cleanWorkflow})
	g.Expect(os.Symlink(filepath.Join(root, "gone.yml"), filepath.Join(root, "link.yml"))).To(Succeed())
	code, stdout, stderr := runCLI("audit", root)
	g.Expect(code).To(Equal(2))
	g.Expect(stdout).To(BeEmpty())
	g.Expect(stderr).To(ContainSubstring("cannot read " + filepath.Join(root, "link.yml")))
}

func TestUnreadableFile(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("permissions are not enforced for root or on Windows")
	}
	root := writeTree(t, map[string]string{"w.yml": cleanWorkflow})
	g := NewWithT(t)
	g.Expect(os.Chmod(filepath.Join(root, "w.yml"), 0)).To(Succeed())
	code, _, stderr := runCLI("audit", root)
	g.Expect(code).To(Equal(2))
	g.Expect(stderr).To(ContainSubstring("permission denied"))
}

// TestBinaryEndToEnd builds the real binary and checks the exit statuses
// a CI job would see.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	g := NewWithT(t)
	bin := filepath.Join(t.TempDir(), "securepipeline")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-test", "-o", bin, ".")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	root := writeTree(t, map[string]string{"clean/ci.yml": cleanWorkflow, "bad/ci.yml": badWorkflow})
	cases := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"audit", filepath.Join(root, "clean")}, 0, ""},
		{[]string{"audit", filepath.Join(root, "bad")}, 1, "SP002 unpinned-action"},
		{[]string{"audit", "--format", "yaml", root}, 2, ""},
		{[]string{"version"}, 0, "securepipeline v9.9.9-test"},
	}
	for _, tc := range cases {
		cmd := exec.Command(bin, tc.args...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		err := cmd.Run()
		code := 0
		if exitErr, ok := errors.AsType[*exec.ExitError](err); ok {
			code = exitErr.ExitCode()
		} else {
			g.Expect(err).NotTo(HaveOccurred())
		}
		g.Expect(code).To(Equal(tc.code), strings.Join(tc.args, " "))
		g.Expect(stdout.String()).To(ContainSubstring(tc.stdout))
	}
}

// A repository checkout: the audit follows make into the Makefile, and
// --format inventory prints the publishing jobs with repository-relative
// paths.
func TestRunInventory(t *testing.T) {
	g := NewWithT(t)
	root := writeTree(t, map[string]string{
		".github/workflows/release.yml": `on: push
permissions: {}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - run: make push
`,
		"Makefile": "IMG ?= ghcr.io/acme/app:v1\npush:\n\tdocker push $(IMG)\n\tcosign sign --yes $(IMG)\n",
	})
	code, stdout, stderr := runCLI("audit", "--format", "inventory", root)
	g.Expect(code).To(Equal(0), stderr)
	var inv []map[string]any
	g.Expect(json.Unmarshal([]byte(stdout), &inv)).To(Succeed(), stdout)
	g.Expect(inv).To(HaveLen(1))
	g.Expect(inv[0]).To(HaveKeyWithValue("workflow", ".github/workflows/release.yml"))
	g.Expect(inv[0]).To(HaveKeyWithValue("job", "image"))
	g.Expect(inv[0]).To(HaveKeyWithValue("mechanism", "make"))
	g.Expect(inv[0]).To(HaveKeyWithValue("images", ConsistOf("ghcr.io/acme/app:v1")))
	g.Expect(inv[0]).To(HaveKeyWithValue("signing", "keyless"))
	g.Expect(inv[0]).To(HaveKeyWithValue("sbom", "false"))
	g.Expect(inv[0]).To(HaveKeyWithValue("evidence", ContainElements("Makefile:3", "Makefile:4")))

	// The same run as text: SP006 at the step, and SP007 (keyless signing
	// needs id-token) found through the Makefile is not claimed.
	code, stdout, _ = runCLI("audit", root)
	g.Expect(code).To(Equal(1))
	g.Expect(stdout).To(ContainSubstring("release.yml:7:9: SP006 image-without-sbom: job \"image\" publishes a container image " +
		"(`docker push ghcr.io/acme/app:v1` at Makefile:3)"))

	// Nothing publishes: an empty array, not null.
	code, stdout, _ = runCLI("audit", "--format", "inventory", writeTree(t, map[string]string{"ci.yml": cleanWorkflow}))
	g.Expect(code).To(Equal(0))
	g.Expect(stdout).To(Equal("[]\n"))
}

// An inline acknowledgement moves the finding to the suppressed list: the
// exit status is 0, and the text output still shows it with its reason.
func TestRunInlineAcknowledgement(t *testing.T) {
	g := NewWithT(t)
	root := writeTree(t, map[string]string{"bump.yml": `on: push
permissions:
  contents: read
jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4
        with:
          persist-credentials: true # securepipeline: ignore[SP001] the next step pushes the changelog
      - run: git push
`})
	code, stdout, _ := runCLI("audit", root)
	g.Expect(code).To(Equal(0), stdout)
	g.Expect(stdout).To(HavePrefix("1 suppressed finding(s):\n"))
	g.Expect(stdout).To(ContainSubstring("SP001 checkout-persist-credentials"))
	g.Expect(stdout).To(ContainSubstring("[suppressed (inSource): the next step pushes the changelog]"))
	code, stdout, _ = runCLI("audit", "--format", "sarif", root)
	g.Expect(code).To(Equal(0))
	g.Expect(stdout).To(ContainSubstring(`"kind": "inSource"`))
}
