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
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

var sampleFindings = []Finding{
	{File: ".github/workflows/ci.yml", Line: 7, Column: 15, Rule: "SP002", Name: "unpinned-action", Severity: SeverityWarning, Message: "action x is referenced by the mutable ref \"v4\"; pin <sha> && go"},
	{File: ".github/workflows/ci.yml", Line: 12, Column: 3, Rule: "SP009", Name: "secrets-outside-environment", Severity: SeverityWarning, Message: "job \"a\" uses secrets.X"},
	{File: "broken.yml", Line: 0, Column: 0, Rule: "SP000", Name: "parse-error", Severity: SeverityError, Message: "file is empty"},
	{File: "other.yml", Line: 4, Column: 0, Rule: "SP010", Name: "template-injection", Severity: SeverityError, Message: "x"},
}

// suppressedFindings are acknowledged: inline, by an Ignore, and exempt.
var suppressedFindings = []Finding{
	{File: ".github/workflows/ci.yml", Line: 9, Column: 15, Rule: "SP001", Name: "checkout-persist-credentials", Severity: SeverityWarning,
		Message: "persist-credentials is \"true\"", Suppression: &Suppression{Kind: SuppressedInSource, Justification: "pushes the changelog"}},
	{File: ".github/workflows/ci.yml", Line: 20, Column: 3, Rule: "SP009", Name: "secrets-outside-environment", Severity: SeverityWarning,
		Message: "job \"b\" uses secrets.Y", Suppression: &Suppression{Kind: SuppressedExternal, Justification: "read-only token"}},
	{File: ".github/workflows/rel.yml", Line: 30, Column: 11, Rule: "SP002", Name: "unpinned-action", Severity: SeverityNote,
		Message: "must be a tag", Suppression: &Suppression{Kind: SuppressedExempt, Justification: "must be referenced by a tag"}},
}

func TestWriteText(t *testing.T) {
	cases := []struct {
		name     string
		findings []Finding
		want     string
	}{
		{"none", nil, ""},
		{"full position", sampleFindings[:1], ".github/workflows/ci.yml:7:15: SP002 unpinned-action: action x is referenced by the mutable ref \"v4\"; pin <sha> && go\n"},
		{"no position", sampleFindings[2:3], "broken.yml: SP000 parse-error: file is empty\n"},
		{"line only", sampleFindings[3:4], "other.yml:4: SP010 template-injection: x\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var b bytes.Buffer
			g.Expect(WriteText(&b, tc.findings)).To(Succeed())
			g.Expect(b.String()).To(Equal(tc.want))
		})
	}
	NewWithT(t).Expect(WriteText(failingWriter{}, sampleFindings)).NotTo(Succeed())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteJSON(t *testing.T) {
	cases := []struct {
		name     string
		findings []Finding
	}{
		{"nil", nil},
		{"empty", []Finding{}},
		{"some", sampleFindings},
		{"suppressed", append(append([]Finding{}, sampleFindings...), suppressedFindings...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var b bytes.Buffer
			g.Expect(WriteJSON(&b, tc.findings)).To(Succeed())
			if len(tc.findings) == 0 {
				g.Expect(b.String()).To(MatchJSON(`{"findings": [], "suppressed": []}`))
				return
			}
			g.Expect(b.String()).To(ContainSubstring(`<sha> && go`), "no HTML escaping")
			var back jsonReport
			g.Expect(json.Unmarshal(b.Bytes(), &back)).To(Succeed())
			g.Expect(back.Findings).To(Equal(sampleFindings), "active findings, in order")
			g.Expect(back.Suppressed).To(HaveLen(len(tc.findings) - len(sampleFindings)))
			for _, f := range back.Suppressed {
				g.Expect(f.Suppression).NotTo(BeNil())
				g.Expect(f.Suppression.Justification).NotTo(BeEmpty())
			}
			var raw map[string][]map[string]any
			g.Expect(json.Unmarshal(b.Bytes(), &raw)).To(Succeed())
			for _, k := range []string{"file", "line", "column", "rule", "name", "severity", "message"} {
				g.Expect(raw["findings"][0]).To(HaveKey(k))
			}
			g.Expect(raw["findings"][0]).NotTo(HaveKey("suppression"))
		})
	}
}

func TestWriteTextListsSuppressedSeparately(t *testing.T) {
	g := NewWithT(t)
	var b bytes.Buffer
	g.Expect(WriteText(&b, append(append([]Finding{}, sampleFindings...), suppressedFindings...))).To(Succeed())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	g.Expect(lines).To(HaveLen(len(sampleFindings) + 1 + len(suppressedFindings)))
	g.Expect(lines[len(sampleFindings)]).To(Equal("3 suppressed finding(s):"))
	g.Expect(lines[len(sampleFindings)+1]).To(Equal(`  .github/workflows/ci.yml:9:15: SP001 checkout-persist-credentials: persist-credentials is "true" [suppressed (inSource): pushes the changelog]`))
}

func TestWriteSARIFSuppressions(t *testing.T) {
	g := NewWithT(t)
	_, log := sarifOf(t, append(append([]Finding{}, sampleFindings...), suppressedFindings...))
	results := log["runs"].([]any)[0].(map[string]any)["results"].([]any)
	g.Expect(results).To(HaveLen(len(sampleFindings)+len(suppressedFindings)), "suppressed results are kept, not dropped")
	kinds := map[string]string{}
	for _, r := range results {
		res := r.(map[string]any)
		sup, ok := res["suppressions"]
		if !ok {
			continue
		}
		s := sup.([]any)[0].(map[string]any)
		kinds[res["ruleId"].(string)] = s["kind"].(string) + "/" + s["status"].(string) + "/" + s["justification"].(string)
	}
	g.Expect(kinds).To(Equal(map[string]string{
		"SP001": "inSource/accepted/pushes the changelog",
		"SP009": "external/accepted/read-only token",
		"SP002": "external/accepted/must be referenced by a tag",
	}))
}

// sarifOf renders findings and decodes the result generically.
func sarifOf(t *testing.T, findings []Finding) ([]byte, map[string]any) {
	t.Helper()
	g := NewWithT(t)
	var b bytes.Buffer
	g.Expect(WriteSARIF(&b, findings, "1.2.3")).To(Succeed())
	var doc map[string]any
	g.Expect(json.Unmarshal(b.Bytes(), &doc)).To(Succeed())
	return b.Bytes(), doc
}

func TestWriteSARIFStructure(t *testing.T) {
	g := NewWithT(t)
	_, doc := sarifOf(t, sampleFindings)
	g.Expect(doc["$schema"]).To(Equal("https://json.schemastore.org/sarif-2.1.0.json"))
	g.Expect(doc["version"]).To(Equal("2.1.0"))
	runs := doc["runs"].([]any)
	g.Expect(runs).To(HaveLen(1))
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	g.Expect(driver["name"]).To(Equal("securepipeline"))
	g.Expect(driver["version"]).To(Equal("1.2.3"))
	g.Expect(driver["informationUri"]).To(HavePrefix("https://"))

	rules := driver["rules"].([]any)
	g.Expect(rules).To(HaveLen(len(Rules())))
	for i, r := range rules {
		rule := r.(map[string]any)
		g.Expect(rule["id"]).To(Equal(Rules()[i].ID))
		g.Expect(rule["name"]).To(Equal(Rules()[i].Name))
		g.Expect(rule["shortDescription"].(map[string]any)["text"]).NotTo(BeEmpty())
		g.Expect(rule["fullDescription"].(map[string]any)["text"]).NotTo(BeEmpty())
		help := rule["help"].(map[string]any)
		g.Expect(help["text"]).To(Equal(Rules()[i].Help))
		g.Expect(help["markdown"]).To(ContainSubstring("docs/rules.md#" + strings.ToLower(Rules()[i].ID+"-"+Rules()[i].Name)))
		g.Expect(rule["defaultConfiguration"].(map[string]any)["level"]).To(Equal(string(Rules()[i].Severity)))
		props := rule["properties"].(map[string]any)
		g.Expect(props["tags"]).NotTo(BeEmpty())
		if i > 0 {
			g.Expect(props["security-severity"]).To(MatchRegexp(`^\d+\.\d$`))
		}
	}

	results := run["results"].([]any)
	g.Expect(results).To(HaveLen(len(sampleFindings)))
	fingerprints := map[any]bool{}
	for i, r := range results {
		res := r.(map[string]any)
		f := sampleFindings[i]
		g.Expect(res["ruleId"]).To(Equal(f.Rule))
		idx := int(res["ruleIndex"].(float64))
		g.Expect(rules[idx].(map[string]any)["id"]).To(Equal(f.Rule))
		g.Expect(res["level"]).To(Equal(string(f.Severity)))
		g.Expect(res["message"].(map[string]any)["text"]).To(Equal(f.Message))
		fp := res["partialFingerprints"].(map[string]any)["securepipelineFinding/v1"]
		g.Expect(fingerprints).NotTo(HaveKey(fp))
		fingerprints[fp] = true
		phys := res["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		art := phys["artifactLocation"].(map[string]any)
		g.Expect(art["uri"]).To(Equal(f.File))
		g.Expect(art["uriBaseId"]).To(Equal("%SRCROOT%"))
		switch {
		case f.Line == 0:
			g.Expect(phys).NotTo(HaveKey("region"))
		case f.Column == 0:
			g.Expect(phys["region"]).To(Equal(map[string]any{"startLine": float64(f.Line)}))
		default:
			g.Expect(phys["region"]).To(Equal(map[string]any{"startLine": float64(f.Line), "startColumn": float64(f.Column)}))
		}
	}

	_, empty := sarifOf(t, nil)
	g.Expect(empty["runs"].([]any)[0].(map[string]any)["results"]).To(Equal([]any{}))

	var b bytes.Buffer
	g.Expect(WriteSARIF(&b, []Finding{{Rule: "SP999"}}, "")).NotTo(Succeed())
}

func TestSARIFFingerprintIgnoresLines(t *testing.T) {
	g := NewWithT(t)
	moved := append([]Finding(nil), sampleFindings...)
	moved[0].Line += 10
	_, a := sarifOf(t, sampleFindings)
	_, b := sarifOf(t, moved)
	fp := func(doc map[string]any) any {
		return doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["partialFingerprints"]
	}
	g.Expect(fp(a)).To(Equal(fp(b)))
}

func TestArtifactURI(t *testing.T) {
	cases := []struct{ in, uri, base string }{
		{".github/workflows/ci.yml", ".github/workflows/ci.yml", "%SRCROOT%"},
		{"./.github/workflows/ci.yml", ".github/workflows/ci.yml", "%SRCROOT%"},
		{`repo\.github\workflows\ci.yml`, "repo/.github/workflows/ci.yml", "%SRCROOT%"},
		{"dir with space/ci.yml", "dir%20with%20space/ci.yml", "%SRCROOT%"},
		{"/abs/repo/ci.yml", "file:///abs/repo/ci.yml", ""},
		{`C:\repo\ci.yml`, "file:///C:/repo/ci.yml", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			uri, base := artifactURI(tc.in)
			g.Expect(uri).To(Equal(tc.uri))
			g.Expect(base).To(Equal(tc.base))
		})
	}
}

// TestWriteSARIFMatchesSchema validates real output against the OASIS SARIF
// 2.1.0 JSON schema (copied from the npm package @microsoft/jest-sarif,
// lib/schemas/sarif-2.1.0-rtm.5.json).
func TestWriteSARIFMatchesSchema(t *testing.T) {
	g := NewWithT(t)
	schema, err := os.ReadFile("testdata/sarif-schema-2.1.0.json")
	g.Expect(err).NotTo(HaveOccurred())
	v, err := newSchemaValidator(schema)
	g.Expect(err).NotTo(HaveOccurred())

	all := AuditFiles(fixtureFiles(t), Options{})
	g.Expect(len(all)).To(BeNumerically(">", 50))
	withSuppressed := append(append([]Finding{}, sampleFindings...), suppressedFindings...)
	for name, findings := range map[string][]Finding{"fixtures": all, "samples": sampleFindings, "suppressed": withSuppressed, "none": nil} {
		out, _ := sarifOf(t, findings)
		errs, err := v.Validate(out)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(errs).To(BeEmpty(), name)
	}

	// The validator itself must catch violations.
	bad := []string{
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":0}}}]}]}]}`,
		`{"version":"2.1.0","runs":[],"extra":1}`,
	}
	for _, doc := range bad {
		errs, err := v.Validate([]byte(doc))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(errs).NotTo(BeEmpty(), doc)
	}
}
