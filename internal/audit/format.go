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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

const (
	// ToolName is the tool name written to SARIF.
	ToolName = "securepipeline"
	// InformationURI is where SARIF consumers send users for the tool.
	InformationURI = "https://github.com/secure-pipeline/operator"
	// RulesDocURI is the rule documentation; each rule has an anchor such as
	// #sp001-checkout-persist-credentials.
	RulesDocURI = InformationURI + "/blob/main/docs/rules.md"
)

// WriteText writes one line per finding in the style of compilers, so that
// editors and CI log parsers can jump to it:
//
//	file:line:col: SP001 checkout-persist-credentials: message
//
// Unknown positions are left out (file: or file:line:). Suppressed findings
// follow under a count, each with its justification.
func WriteText(w io.Writer, findings []Finding) error {
	active, suppressed := Active(findings), Suppressed(findings)
	for _, f := range active {
		if _, err := fmt.Fprintf(w, "%s: %s %s: %s\n", textLocation(f), f.Rule, f.Name, f.Message); err != nil {
			return err
		}
	}
	if len(suppressed) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "%d suppressed finding(s):\n", len(suppressed)); err != nil {
		return err
	}
	for _, f := range suppressed {
		if _, err := fmt.Fprintf(w, "  %s: %s %s: %s [suppressed (%s): %s]\n", textLocation(f), f.Rule, f.Name, f.Message,
			f.Suppression.Kind, f.Suppression.Justification); err != nil {
			return err
		}
	}
	return nil
}

func textLocation(f Finding) string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			loc += fmt.Sprintf(":%d", f.Column)
		}
	}
	return loc
}

// jsonReport is the JSON output: active and suppressed findings apart.
type jsonReport struct {
	Findings   []Finding `json:"findings"`
	Suppressed []Finding `json:"suppressed"`
}

// WriteJSON writes {"findings": [...], "suppressed": [...]}, indented;
// both are arrays ("[]" when empty, never null).
func WriteJSON(w io.Writer, findings []Finding) error {
	r := jsonReport{Findings: Active(findings), Suppressed: Suppressed(findings)}
	if r.Suppressed == nil {
		r.Suppressed = []Finding{}
	}
	return encodeJSON(w, r)
}

// WriteInventory writes the publishing inventory as a JSON array, one
// object per publishing job ("[]" when there is none).
func WriteInventory(w io.Writer, inv []Publication) error {
	if inv == nil {
		inv = []Publication{}
	}
	return encodeJSON(w, inv)
}

// WriteSARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts. The
// driver lists the whole catalogue (Rules()) so that ruleIndex is stable.
// Relative file paths become artifact URIs relative to %SRCROOT% with
// forward slashes; absolute paths become file:// URIs. toolVersion may be
// empty.
func WriteSARIF(w io.Writer, findings []Finding, toolVersion string) error {
	rules := Rules()
	index := map[string]int{}
	descs := make([]sarifRule, len(rules))
	for i, r := range rules {
		index[r.ID] = i
		descs[i] = newSARIFRule(r)
	}

	results := make([]sarifResult, 0, len(findings))
	seen := map[string]int{}
	for _, f := range findings {
		idx, ok := index[f.Rule]
		if !ok {
			return fmt.Errorf("finding for unknown rule %q", f.Rule)
		}
		uri, base := artifactURI(f.File)
		loc := sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri, URIBaseID: base}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line}
			if f.Column > 0 {
				loc.Region.StartColumn = f.Column
			}
		}
		// The fingerprint ignores line numbers so that an alert survives
		// edits above it; identical findings in a file are told apart by
		// their order.
		key := f.Rule + "\x00" + uri + "\x00" + f.Message
		seen[key]++
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", key, seen[key])))
		res := sarifResult{
			RuleID:              f.Rule,
			RuleIndex:           idx,
			Level:               string(f.Severity),
			Message:             sarifText{Text: f.Message},
			Locations:           []sarifLocation{{PhysicalLocation: loc}},
			PartialFingerprints: map[string]string{"securepipelineFinding/v1": hex.EncodeToString(sum[:16])},
		}
		if sp := f.Suppression; sp != nil {
			// SARIF knows inSource and external; the audit's own exemptions
			// are external to the file.
			kind := SuppressedExternal
			if sp.Kind == SuppressedInSource {
				kind = SuppressedInSource
			}
			res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: sp.Justification}}
		}
		results = append(results, res)
	}

	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           ToolName,
				Version:        toolVersion,
				InformationURI: InformationURI,
				Rules:          descs,
			}},
			ColumnKind: "unicodeCodePoints",
			Results:    results,
		}},
	}
	return encodeJSON(w, log)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // messages contain <sha> and &&
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// artifactURI turns a finding's path into a SARIF artifact URI.
func artifactURI(p string) (uri, baseID string) {
	slash := strings.ReplaceAll(filepath.ToSlash(p), `\`, "/")
	if filepath.IsAbs(p) || strings.HasPrefix(slash, "/") || (len(slash) > 2 && slash[1] == ':' && slash[2] == '/') {
		if !strings.HasPrefix(slash, "/") {
			slash = "/" + slash // C:/x -> /C:/x
		}
		return (&url.URL{Scheme: "file", Path: slash}).String(), ""
	}
	for strings.HasPrefix(slash, "./") {
		slash = slash[2:]
	}
	return (&url.URL{Path: slash}).String(), "%SRCROOT%"
}

// securitySeverity feeds GitHub's alert severity (critical > 9, high >= 7,
// medium >= 4, low below).
var securitySeverity = map[Severity]string{
	SeverityError:   "8.0",
	SeverityWarning: "5.5",
	SeverityNote:    "2.0",
}

func newSARIFRule(r Rule) sarifRule {
	anchor := strings.ToLower(r.ID + "-" + r.Name)
	props := sarifRuleProperties{Tags: []string{"security", "supply-chain", "github-actions"}, Precision: "high"}
	if r.ID == ruleParseError.ID {
		props = sarifRuleProperties{Tags: []string{"github-actions"}, Precision: "very-high"}
	} else {
		props.SecuritySeverity = securitySeverity[r.Severity]
	}
	return sarifRule{
		ID:               r.ID,
		Name:             r.Name,
		ShortDescription: sarifText{Text: r.Summary},
		FullDescription:  sarifText{Text: r.Summary + " " + firstSentence(r.Help)},
		Help: sarifHelp{
			Text:     r.Help,
			Markdown: fmt.Sprintf("**%s %s**: %s\n\n%s\n\n[Documentation](%s#%s)", r.ID, r.Name, r.Summary, r.Help, RulesDocURI, anchor),
		},
		HelpURI:              RulesDocURI + "#" + anchor,
		DefaultConfiguration: sarifConfig{Level: string(r.Severity)},
		Properties:           props,
	}
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// SARIF 2.1.0 object model: only what we emit.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifTool     `json:"tool"`
		ColumnKind string        `json:"columnKind"`
		Results    []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string              `json:"id"`
		Name                 string              `json:"name"`
		ShortDescription     sarifText           `json:"shortDescription"`
		FullDescription      sarifText           `json:"fullDescription"`
		Help                 sarifHelp           `json:"help"`
		HelpURI              string              `json:"helpUri"`
		DefaultConfiguration sarifConfig         `json:"defaultConfiguration"`
		Properties           sarifRuleProperties `json:"properties"`
	}
	sarifRuleProperties struct {
		Tags             []string `json:"tags"`
		Precision        string   `json:"precision"`
		SecuritySeverity string   `json:"security-severity,omitempty"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifText          `json:"message"`
		Locations           []sarifLocation    `json:"locations"`
		PartialFingerprints map[string]string  `json:"partialFingerprints"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)
