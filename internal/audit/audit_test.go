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
package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// ruleCase audits one fixture under testdata/ and compares the positions
// ("line:col") of the findings of the rule under test, in order. msg, when
// set, must appear in every one of those findings' messages.
type ruleCase struct {
	file string
	want []string
	msg  string
}

func runRuleCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.file, ".yml"), func(t *testing.T) {
			g := NewWithT(t)
			path := filepath.Join("testdata", tc.file)
			content, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())

			var got []string
			for _, f := range AuditFile(path, content, Options{}) {
				g.Expect(f.File).To(Equal(path))
				if f.Rule != rule {
					continue
				}
				r, ok := LookupRule(rule)
				g.Expect(ok).To(BeTrue())
				g.Expect(f.Name).To(Equal(r.Name))
				g.Expect(f.Severity).To(Equal(r.Severity))
				if tc.msg != "" {
					g.Expect(f.Message).To(ContainSubstring(tc.msg))
				}
				got = append(got, fmt.Sprintf("%d:%d", f.Line, f.Column))
			}
			if tc.want == nil {
				tc.want = []string{}
			}
			if got == nil {
				got = []string{}
			}
			g.Expect(got).To(Equal(tc.want), "positions of %s findings in %s", rule, tc.file)
		})
	}
}

func TestSP000ParseError(t *testing.T) {
	runRuleCases(t, "SP000", []ruleCase{
		{file: "sp000/invalid_yaml.yml", want: []string{"6:13"}, msg: "invalid YAML"},
		{file: "sp000/bad_indent.yml", want: []string{"5:10"}, msg: "invalid YAML"},
		{file: "sp000/empty.yml", want: []string{"1:1"}, msg: "empty"},
		{file: "sp000/top_level_list.yml", want: []string{"1:1"}, msg: "not a mapping"},
		{file: "sp000/alias_bomb.yml", want: []string{"1:1"}, msg: "too large"},
		// Schema problems are actionlint's business: no SP000, other rules still run.
		{file: "sp000/schema_errors_only.yml"},
	})
}

// TestParseErrorIsAlone checks the contract that an unparseable file yields
// exactly one finding, whatever else it contains.
func TestParseErrorIsAlone(t *testing.T) {
	cases := map[string]string{
		"unclosed flow":      "on: [push\njobs: {}\n",
		"tab indentation":    "on: push\njobs:\n\tbuild: {}\n",
		"scalar document":    "just a string\n",
		"null document":      "~\n",
		"comment only":       "# nothing here\n",
		"unknown alias":      "on: push\njobs: *nope\n",
		"duplicate anchors":  "a: &x 1\nb: &x 2\non: *x\n",
		"binary garbage":     "\x00\x01\x02on: push",
		"multi-doc, bad 1st": "- a\n---\non: push\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			fs := AuditFile("w.yml", []byte(src), Options{})
			if name == "duplicate anchors" { // valid YAML: later anchor wins
				for _, f := range fs {
					g.Expect(f.Rule).NotTo(Equal("SP000"))
				}
				return
			}
			g.Expect(fs).To(HaveLen(1))
			g.Expect(fs[0].Rule).To(Equal("SP000"))
			g.Expect(fs[0].Name).To(Equal("parse-error"))
			g.Expect(fs[0].File).To(Equal("w.yml"))
		})
	}
}

func TestSP001CheckoutPersistCredentials(t *testing.T) {
	runRuleCases(t, "SP001", []ruleCase{
		{file: "sp001/missing.yml", want: []string{"7:15"}, msg: "persist-credentials: false"},
		{file: "sp001/quoted_false.yml"},
		{file: "sp001/unquoted_false.yml"},
		{file: "sp001/true.yml", want: []string{"10:32"}, msg: `"true"`},
		// job "mixed" can run with true; job "safe" only gets false via include.
		{file: "sp001/matrix.yml", want: []string{"12:32"}, msg: "matrix.persist"},
		{file: "sp001/expression_input.yml", want: []string{"14:32"}, msg: "cannot be shown to be false"},
		// The anchored step is reported once, where it is written.
		{file: "sp001/anchors.yml", want: []string{"8:15"}},
		// Local actions and look-alike names are not checkout; owner/repo is case-insensitive.
		{file: "sp001/not_checkout.yml", want: []string{"9:15"}},
	})
}

func TestSP002UnpinnedAction(t *testing.T) {
	runRuleCases(t, "SP002", []ruleCase{
		{file: "sp002/tag.yml", want: []string{"7:15", "10:15"}, msg: "40-character commit SHA"},
		{file: "sp002/sha_with_comment.yml"},
		{file: "sp002/local.yml"},
		{file: "sp002/docker.yml", want: []string{"7:15", "9:15"}, msg: "digest"},
		{file: "sp002/reusable.yml", want: []string{"5:11"}, msg: "reusable workflow"},
		{file: "sp002/weak_refs.yml", want: []string{"7:15", "8:15", "9:15", "10:15"}},
	})
}

func TestSP003MissingPermissions(t *testing.T) {
	runRuleCases(t, "SP003", []ruleCase{
		{file: "sp003/none.yml", want: []string{"3:3", "7:3"}, msg: "default GITHUB_TOKEN permissions"},
		{file: "sp003/workflow_level.yml"},
		{file: "sp003/all_jobs.yml"},
		{file: "sp003/mixed.yml", want: []string{"9:3"}, msg: `job "deploy"`},
		{file: "sp003/empty_braces.yml"},
	})
}

func TestSP004ExcessivePermissions(t *testing.T) {
	runRuleCases(t, "SP004", []ruleCase{
		{file: "sp004/workflow_write_all.yml", want: []string{"2:14"}, msg: "write-all"},
		{file: "sp004/job_write_all.yml", want: []string{"7:18"}, msg: `job "release"`},
		{file: "sp004/workflow_scopes.yml", want: []string{"3:13", "4:13"}, msg: `: write to job "test"`},
		{file: "sp004/job_scopes.yml"},
		{file: "sp004/read_all.yml"},
		{file: "sp007/workflow_id_token.yml", want: []string{"3:13"}, msg: "id-token: write"},
	})
}

func TestSP005ImageNotSigned(t *testing.T) {
	runRuleCases(t, "SP005", []ruleCase{
		{file: "sp005/build_push_true.yml", want: []string{"11:17"}, msg: "cosign sign"},
		{file: "sp005/build_push_signed.yml"},
		{file: "sp005/push_variants.yml", want: []string{"9:17", "16:17", "23:20"}},
		{file: "sp005/not_pushing.yml"},
		{file: "sp005/run_push.yml", want: []string{"11:16", "16:51", "22:22", "26:14", "30:14"}},
		// cosign sign-blob does not sign the image; signing in another job does not count.
		{file: "sp005/sign_elsewhere.yml", want: []string{"8:11"}, msg: `job "build"`},
		{file: "sp006/no_sbom.yml"},
	})
}

func TestSP006ImageWithoutSBOM(t *testing.T) {
	runRuleCases(t, "SP006", []ruleCase{
		{file: "sp006/no_sbom.yml", want: []string{"9:17"}, msg: "SBOM"},
		{file: "sp006/sbom_sources.yml"},
		{file: "sp006/weak_sbom.yml", want: []string{"13:17", "19:11", "25:14"}},
		{file: "sp005/build_push_true.yml"},
		// ko attaches an SPDX SBOM by default (22:22 is ko build without --sbom=none).
		{file: "sp005/run_push.yml", want: []string{"11:16", "16:51", "26:14", "30:14"}},
		{file: "sp005/sign_elsewhere.yml"},
		{file: "sp005/not_pushing.yml"},
	})
}

func TestSP007KeylessSigningWithoutIDToken(t *testing.T) {
	runRuleCases(t, "SP007", []ruleCase{
		{file: "sp007/no_permissions.yml", want: []string{"8:11"}, msg: "default permissions"},
		{file: "sp007/job_id_token.yml"},
		// "inherits" gets id-token from the workflow; "overrides" replaces it.
		{file: "sp007/workflow_id_token.yml", want: []string{"14:14"}, msg: "job-level"},
		{file: "sp007/keyed.yml"},
		{file: "sp007/write_all.yml", want: []string{"13:14"}, msg: "sign-blob"},
		{file: "sp005/build_push_signed.yml"},
	})
}

func TestSP008DangerousCheckout(t *testing.T) {
	runRuleCases(t, "SP008", []ruleCase{
		{file: "sp008/prt_head_sha.yml", want: []string{"10:16"}, msg: "pull_request_target"},
		{file: "sp008/prt_safe.yml"},
		{file: "sp008/pull_request.yml"},
		{file: "sp008/workflow_run.yml", want: []string{"13:16"}, msg: "workflow_run"},
		{file: "sp008/prt_variants.yml", want: []string{"10:16", "17:23", "24:16", "30:11", "31:11"}},
	})
}

func TestSP009SecretsOutsideEnvironment(t *testing.T) {
	runRuleCases(t, "SP009", []ruleCase{
		{file: "sp009/step_env.yml", want: []string{"4:3"}, msg: "secrets.NPM_TOKEN"},
		{file: "sp009/with_environment.yml"},
		{file: "sp009/github_token.yml"},
		{file: "sp009/index_and_job_env.yml", want: []string{"4:3", "8:3", "15:3"}},
		{file: "sp009/reusable.yml"},
	})
}

func TestSP010TemplateInjection(t *testing.T) {
	runRuleCases(t, "SP010", []ruleCase{
		{file: "sp010/run_block.yml", want: []string{"10:24", "11:26"}, msg: "env:"},
		{file: "sp010/env_safe.yml"},
		{file: "sp010/github_script.yml", want: []string{"10:27"}, msg: "process.env"},
		// double-quoted, single-quoted, folded and an aliased literal block.
		{file: "sp010/styles.yml", want: []string{"7:20", "8:22", "11:11", "13:17"}},
		{file: "sp010/arrays_and_objects.yml", want: []string{"8:17", "9:17", "10:17", "11:17"}},
	})
}

func TestSP009MessageListsSecrets(t *testing.T) {
	g := NewWithT(t)
	path := "testdata/sp009/index_and_job_env.yml"
	b, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	var msgs []string
	for _, f := range AuditFile(path, b, Options{Disabled: []string{"SP003"}}) {
		if f.Rule == "SP009" {
			msgs = append(msgs, f.Message)
		}
	}
	g.Expect(msgs).To(HaveLen(3))
	g.Expect(msgs[0]).To(ContainSubstring("secrets.SLACK_WEBHOOK"))
	g.Expect(msgs[1]).To(ContainSubstring("secrets.AWS_ROLE, secrets.AWS_SECRET_ACCESS_KEY"))
	g.Expect(msgs[2]).To(ContainSubstring("secrets.REGISTRY_PASSWORD"))
}

func TestOptionsDisabled(t *testing.T) {
	path := "testdata/sp005/run_push.yml"
	b, err := os.ReadFile(path)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	cases := []struct {
		name     string
		disabled []string
		absent   []string
		present  []string
	}{
		{"nothing disabled", nil, nil, []string{"SP005", "SP006"}},
		{"by id", []string{"SP005"}, []string{"SP005"}, []string{"SP006"}},
		{"by name, any case", []string{"Image-Without-SBOM"}, []string{"SP006"}, []string{"SP005"}},
		{"lower-case id with spaces", []string{" sp005 ", "sp006"}, []string{"SP005", "SP006"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rules := map[string]bool{}
			for _, f := range AuditFile(path, b, Options{Disabled: tc.disabled}) {
				rules[f.Rule] = true
			}
			for _, r := range tc.absent {
				g.Expect(rules).NotTo(HaveKey(r))
			}
			for _, r := range tc.present {
				g.Expect(rules).To(HaveKey(r))
			}
		})
	}
}

func TestAuditFilesSorted(t *testing.T) {
	g := NewWithT(t)
	files := map[string][]byte{}
	for _, p := range []string{"testdata/sp003/none.yml", "testdata/sp002/tag.yml", "testdata/sp000/empty.yml"} {
		b, err := os.ReadFile(p)
		g.Expect(err).NotTo(HaveOccurred())
		files[p] = b
	}
	fs := AuditFiles(files, Options{})
	g.Expect(fs).NotTo(BeEmpty())
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		less := a.File < b.File ||
			(a.File == b.File && (a.Line < b.Line ||
				(a.Line == b.Line && (a.Column < b.Column ||
					(a.Column == b.Column && a.Rule <= b.Rule)))))
		g.Expect(less).To(BeTrue(), "%v before %v", a, b)
	}
	g.Expect(fs[0].File).To(Equal("testdata/sp000/empty.yml"))
	g.Expect(AuditFiles(nil, Options{})).To(BeEmpty())
}

// fixtureFiles loads every workflow under testdata/.
func fixtureFiles(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob("testdata/*/*.yml")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		files[p] = b
	}
	return files
}

func TestIsWorkflowFile(t *testing.T) {
	cases := []struct {
		path string
		want bool
	}{
		{".github/workflows/ci.yml", true},
		{".github/workflows/release.YAML", true},
		{"repo/.github/workflows/ci.yaml", true},
		{`C:\src\repo\.github\workflows\ci.yml`, true},
		{"/abs/repo/.github/workflows/ci.yml", true},
		{".github/workflows/nested/ci.yml", false},
		{".github/workflows/ci.json", false},
		{".github/ci.yml", false},
		{"workflows/ci.yml", false},
		{"x.github/workflows/ci.yml", false},
		{".github/workflows/", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			NewWithT(t).Expect(IsWorkflowFile(tc.path)).To(Equal(tc.want))
		})
	}
}

func TestRulesCatalogue(t *testing.T) {
	g := NewWithT(t)
	rules := Rules()
	g.Expect(rules).To(HaveLen(13))
	ids, names := map[string]bool{}, map[string]bool{}
	for i, r := range rules {
		g.Expect(r.ID).To(Equal(fmt.Sprintf("SP%03d", i)))
		g.Expect(r.Name).To(MatchRegexp(`^[a-z0-9]+(-[a-z0-9]+)*$`))
		g.Expect(r.Summary).NotTo(BeEmpty())
		g.Expect(len(r.Help)).To(BeNumerically(">", 80), r.ID)
		g.Expect(r.Severity).To(BeElementOf(SeverityError, SeverityWarning, SeverityNote))
		g.Expect(ids).NotTo(HaveKey(r.ID))
		g.Expect(names).NotTo(HaveKey(r.Name))
		ids[r.ID], names[r.Name] = true, true
	}
	// The public names are fixed.
	want := []string{"parse-error", "checkout-persist-credentials", "unpinned-action", "missing-permissions",
		"excessive-permissions", "image-not-signed", "image-without-sbom", "keyless-signing-without-id-token",
		"dangerous-checkout", "secrets-outside-environment", "template-injection", "untrusted-artifact",
		"reference-not-followed"}
	for i, n := range want {
		g.Expect(rules[i].Name).To(Equal(n))
	}
	// Callers get a copy.
	rules[1].Name = "changed"
	g.Expect(Rules()[1].Name).To(Equal("checkout-persist-credentials"))

	r, ok := LookupRule("unpinned-action")
	g.Expect(ok).To(BeTrue())
	g.Expect(r.ID).To(Equal("SP002"))
	_, ok = LookupRule("SP999")
	g.Expect(ok).To(BeFalse())
}
