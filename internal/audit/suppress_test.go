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

//nolint:goconst // table tests repeat rule ids on purpose
package audit

import (
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// pushJob is a job whose checkout keeps credentials on purpose (SP001 at
// line 9) and that pushes with git.
const pushJob = `on: push
permissions:
  contents: read
jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11
        with:
          persist-credentials: true%s
      - run: git push
`

func ruleStates(fs []Finding, rule string) []string {
	var out []string
	for _, f := range fs {
		if f.Rule != rule {
			continue
		}
		s := fmt.Sprintf("%d", f.Line)
		if f.Suppression != nil {
			s += " " + f.Suppression.Kind + ": " + f.Suppression.Justification
		}
		out = append(out, s)
	}
	return out
}

func TestInlineAcknowledgement(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"none", fmt.Sprintf(pushJob, ""), []string{"10"}},
		{"on the line", fmt.Sprintf(pushJob, " # securepipeline: ignore[SP001] the next step pushes the changelog"),
			[]string{"10 inSource: the next step pushes the changelog"}},
		{"rule by name, several rules", fmt.Sprintf(pushJob, " # securepipeline: ignore[SP009, checkout-persist-credentials] pushes"),
			[]string{"10 inSource: pushes"}},
		{"another rule does not count", fmt.Sprintf(pushJob, " # securepipeline: ignore[SP002] wrong rule"), []string{"10"}},
		{"no reason", fmt.Sprintf(pushJob, " # securepipeline: ignore[SP001]"), []string{"10 inSource: acknowledged inline (no reason given)"}},
		{"above the step", strings.Replace(fmt.Sprintf(pushJob, ""), "      - uses: actions/checkout",
			"      # securepipeline: ignore[SP001] deliberate: git push below\n      - uses: actions/checkout", 1),
			[]string{"11 inSource: deliberate: git push below"}},
		{"elsewhere in the step", strings.Replace(fmt.Sprintf(pushJob, ""), "        with:",
			"        # securepipeline: ignore[SP001] step-level\n        with:", 1),
			[]string{"11 inSource: step-level"}},
		{"in another step does not count", fmt.Sprintf(pushJob, "") + "        # securepipeline: ignore[SP001] other step\n",
			[]string{"10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			fs := AuditFile("w.yml", []byte(tc.src), Options{})
			g.Expect(ruleStates(fs, "SP001")).To(Equal(tc.want))
		})
	}
}

func TestIgnoreOptions(t *testing.T) {
	src := []byte(fmt.Sprintf(pushJob, ""))
	cases := []struct {
		name string
		ig   Ignore
		want []string
	}{
		{"rule and glob", Ignore{Rule: "SP001", Path: ".github/workflows/*.yml", Reason: "bot pushes"}, []string{"10 external: bot pushes"}},
		{"double star", Ignore{Rule: "checkout-persist-credentials", Path: "**/bump.yml", Reason: "r"}, []string{"10 external: r"}},
		{"any path", Ignore{Rule: "SP001", Reason: "r"}, []string{"10 external: r"}},
		{"other path", Ignore{Rule: "SP001", Path: ".github/workflows/ci.yml", Reason: "r"}, []string{"10"}},
		{"star does not cross /", Ignore{Rule: "SP001", Path: "*.yml", Reason: "r"}, []string{"10"}},
		{"job", Ignore{Rule: "SP001", Job: "bump", Reason: "r"}, []string{"10 external: r"}},
		{"other job", Ignore{Rule: "SP001", Job: "build", Reason: "r"}, []string{"10"}},
		{"action", Ignore{Rule: "SP001", Action: "Actions/Checkout", Reason: "r"}, []string{"10 external: r"}},
		{"other action", Ignore{Rule: "SP001", Action: "actions/setup-go", Reason: "r"}, []string{"10"}},
		{"look-alike action", Ignore{Rule: "SP001", Action: "actions/check", Reason: "r"}, []string{"10"}},
		{"no reason is not an acknowledgement", Ignore{Rule: "SP001"}, []string{"10"}},
		{"unknown rule", Ignore{Rule: "SP099", Reason: "r"}, []string{"10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			fs := AuditFile(".github/workflows/bump.yml", src, Options{Ignore: []Ignore{tc.ig}})
			g.Expect(ruleStates(fs, "SP001")).To(Equal(tc.want))
		})
	}
	g := NewWithT(t)
	g.Expect(Ignore{Rule: "SP001"}.Validate()).To(MatchError(ContainSubstring("reason is required")))
	g.Expect(Ignore{Rule: "nope", Reason: "r"}.Validate()).To(MatchError(ContainSubstring(`unknown rule "nope"`)))
	g.Expect(Ignore{Rule: "SP001", Path: "[a", Reason: "r"}.Validate()).To(MatchError(ContainSubstring("unclosed")))
}

// The SLSA generator must be referenced by tag: its SP002 is exempt, a
// note, listed as suppressed, and still an unpinned reference.
func TestTagPinnedActionsAreExempt(t *testing.T) {
	g := NewWithT(t)
	src := `on: push
permissions: {}
jobs:
  provenance:
    permissions: {actions: read, id-token: write, contents: write}
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
    with:
      base64-subjects: abc
`
	fs := AuditFile("w.yml", []byte(src), Options{})
	var sp002 []Finding
	for _, f := range fs {
		if f.Rule == "SP002" {
			sp002 = append(sp002, f)
		}
	}
	g.Expect(sp002).To(HaveLen(1))
	g.Expect(sp002[0].Severity).To(Equal(SeverityNote))
	g.Expect(sp002[0].Suppression).NotTo(BeNil())
	g.Expect(sp002[0].Suppression.Kind).To(Equal(SuppressedExempt))
	g.Expect(sp002[0].Message).To(ContainSubstring("as it must be"))
	g.Expect(Active(fs)).NotTo(ContainElement(HaveField("Rule", "SP002")))
	g.Expect(sp002[0].Job).To(Equal("provenance"))
	g.Expect(sp002[0].Action).To(Equal("slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"))
}

func TestPrecisionFixes(t *testing.T) {
	cases := []struct {
		name, rule, src string
		want            []string // messages (substrings), one per finding
	}{
		{
			name: "SP007: explicit --identity-token needs no id-token permission",
			rule: "SP007",
			src:  "on: push\npermissions: {}\njobs:\n  s:\n    runs-on: x\n    steps:\n      - run: cosign sign --yes --identity-token \"$(cat token)\" reg.local/x\n",
		},
		{
			name: "SP007: without it, still reported",
			rule: "SP007",
			src:  "on: push\npermissions: {}\njobs:\n  s:\n    runs-on: x\n    steps:\n      - run: cosign sign --yes ghcr.io/x\n",
			want: []string{"needs an OIDC token"},
		},
		{
			name: "SP006/SP005: a throw-away ttl.sh image is not a publication",
			rule: "SP006",
			src:  "on: push\npermissions: {}\njobs:\n  s:\n    runs-on: x\n    steps:\n      - run: docker push ttl.sh/x:1h\n",
		},
		{
			name: "SP009: workflow-level env secrets reach every job, names as written, plural",
			rule: "SP009",
			src:  "on: push\npermissions: {}\nenv:\n  DOCKER_PASSWORD: ${{ secrets.docker_password }}\njobs:\n  a:\n    runs-on: x\n    env:\n      T: ${{ secrets.Npm_Token }}\n    steps:\n      - run: echo\n  b:\n    runs-on: x\n    environment: prod\n    steps:\n      - run: echo\n",
			want: []string{`job "a" uses secrets.Npm_Token, secrets.docker_password but declares no environment:, so the secrets are released without any protection rule; store them as environment secrets`},
		},
		{
			name: "SP009: one secret, singular",
			rule: "SP009",
			src:  "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.ONE }}\n",
			want: []string{"so the secret is released without any protection rule; store it as an environment secret"},
		},
		{
			name: "SP004: a grant no job inherits says so",
			rule: "SP004",
			src:  "on: push\npermissions:\n  contents: write\njobs:\n  a:\n    runs-on: x\n    permissions: {contents: read}\n    steps:\n      - run: echo\n",
			want: []string{"to no job today (each declares its own permissions)"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var got []string
			for _, f := range AuditFile("w.yml", []byte(tc.src), Options{}) {
				if f.Rule == tc.rule {
					got = append(got, f.Message)
				}
			}
			g.Expect(got).To(HaveLen(len(tc.want)), "%v", got)
			for i, w := range tc.want {
				g.Expect(strings.Join(got, "\n")).To(ContainSubstring(w), "finding %d", i)
			}
		})
	}
}

func TestSP011UntrustedArtifacts(t *testing.T) {
	const head = "on:\n  workflow_run:\n    workflows: [ci]\n    types: [completed]\npermissions: {}\njobs:\n  comment:\n    runs-on: x\n    steps:\n"
	cases := []struct {
		name  string
		steps string
		want  []string // "line:substring"
	}{
		{
			name:  "download of the triggering run into the workspace, then a script",
			steps: "      - uses: actions/download-artifact@v4\n        with:\n          run-id: ${{ github.event.workflow_run.id }}\n      - run: ./report.sh\n",
			want:  []string{"10:unpacks artifacts of another (untrusted) run into the workspace", "13:runs ./report.sh"},
		},
		{
			name:  "into a directory, read as data: fine",
			steps: "      - uses: actions/download-artifact@v4\n        with:\n          run-id: ${{ github.event.workflow_run.id }}\n          path: ${{ runner.temp }}/pr\n      - run: jq . \"$RUNNER_TEMP/pr/meta.json\"\n",
		},
		{
			name:  "dawidd6 then unzip",
			steps: "      - uses: dawidd6/action-download-artifact@v6\n        with:\n          run_id: ${{ github.event.workflow_run.id }}\n          skip_unpack: true\n      - run: unzip pr.zip -d out\n",
			want:  []string{"14:`unzip pr.zip -d` unpacks artifacts downloaded from another (untrusted) run"},
		},
		{
			name:  "gh run download then execute from the directory",
			steps: "      - run: |\n          gh run download ${{ github.event.workflow_run.id }} -D art\n          bash art/build.sh\n",
			want:  []string{"12:runs art/build.sh"},
		},
		{
			name:  "the job's own artifacts are trusted",
			steps: "      - uses: actions/download-artifact@v4\n      - run: ./x.sh\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var got []string
			for _, f := range AuditFile("w.yml", []byte(head+tc.steps), Options{}) {
				if f.Rule == "SP011" {
					got = append(got, fmt.Sprintf("%d:%s", f.Line, f.Message))
				}
			}
			g.Expect(got).To(HaveLen(len(tc.want)), "%v", got)
			for i, w := range tc.want {
				line, sub, _ := strings.Cut(w, ":")
				g.Expect(got[i]).To(HavePrefix(line+":"), got[i])
				g.Expect(got[i]).To(ContainSubstring(sub))
			}
		})
	}
	// Not a privileged trigger: nothing to report.
	g := NewWithT(t)
	src := strings.Replace(head, "workflow_run:\n    workflows: [ci]\n    types: [completed]", "push:", 1) +
		"      - uses: actions/download-artifact@v4\n        with:\n          run-id: 1\n      - run: ./x.sh\n"
	for _, f := range AuditFile("w.yml", []byte(src), Options{}) {
		g.Expect(f.Rule).NotTo(Equal("SP011"))
	}
}
