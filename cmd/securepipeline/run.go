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

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/secure-pipeline/operator/internal/audit"
)

// Exit statuses.
const (
	exitClean    = 0
	exitFindings = 1
	exitUsage    = 2
)

// Output formats.
const (
	formatText      = "text"
	formatJSON      = "json"
	formatSARIF     = "sarif"
	formatInventory = "inventory"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

const usageText = `Usage:
  securepipeline audit [--format text|json|sarif|inventory] [--disable SP00x,...] PATH...
  securepipeline rules [--format text|json]
  securepipeline verify IMAGE[:TAG|@DIGEST] --repository OWNER/NAME --workflow PATH [flags]
  securepipeline version

audit checks GitHub Actions workflows for supply-chain weaknesses.
PATH is a workflow file or a directory. A directory that contains
.github/workflows/ is a repository checkout: its workflows are audited and
what they run inside it is followed (local actions, reusable workflows,
Makefiles, scripts, goreleaser and ko configurations). Any other directory
stands for the *.yml and *.yaml files directly inside it.

Flags (audit; they may come before or after the paths):
  --format FORMAT   text (default), json, sarif (SARIF 2.1.0 for GitHub code
                    scanning) or inventory (the jobs that publish images or
                    release artefacts, as a JSON array)
  --disable IDS     comma-separated rule ids or names to skip; may be repeated

Acknowledge a finding with a comment on its line or step:
  # securepipeline: ignore[SP001] the next step pushes the changelog
Acknowledged findings are listed apart and do not affect the exit status.

Exit status: 0 no findings, 1 findings reported, 2 usage or read error.
Rules are documented in docs/rules.md; list them with "securepipeline rules".
verify checks a released image's signatures and SBOM: "securepipeline verify --help".
`

// run is the whole program, minus os.Exit, so tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		say(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "audit":
		return runAudit(args[1:], stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout, stderr)
	case "verify":
		return runVerify(args[1:], stdout, stderr)
	case "version", "--version":
		say(stdout, "securepipeline %s\n", toolVersion())
		return exitClean
	case "help", "-h", "-help", "--help":
		say(stdout, usageText)
		return exitClean
	default:
		return usageError(stderr, "unknown command %q", args[0])
	}
}

func usageError(stderr io.Writer, format string, args ...any) int {
	say(stderr, "securepipeline: "+format+"\n", args...)
	say(stderr, "Run \"securepipeline help\" for usage.\n")
	return exitUsage
}

// say prints to the terminal. A failure to print a diagnostic cannot be
// reported anywhere else, so it is deliberately ignored; the findings output
// itself is checked.
func say(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

// listFlag collects comma-separated values of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runAudit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in one place
	format := fs.String("format", formatText, "")
	var disabled listFlag
	fs.Var(&disabled, "disable", "")

	paths, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		say(stdout, usageText)
		return exitClean
	}
	if err != nil {
		return usageError(stderr, "audit: %v", err)
	}
	switch *format {
	case formatText, formatJSON, formatSARIF, formatInventory:
	default:
		return usageError(stderr, "audit: unknown --format %q (want text, json, sarif or inventory)", *format)
	}
	for _, d := range disabled {
		if _, ok := audit.LookupRule(d); !ok {
			return usageError(stderr, "audit: unknown rule %q in --disable (see \"securepipeline rules\")", d)
		}
	}
	if len(paths) == 0 {
		return usageError(stderr, "audit: no PATH given")
	}

	res, err := auditPaths(paths, audit.Options{Disabled: disabled}, stderr)
	if err != nil {
		say(stderr, "securepipeline: %v\n", err)
		return exitUsage
	}
	findings := res.Findings

	switch *format {
	case formatInventory:
		if err := audit.WriteInventory(stdout, res.Inventory); err != nil {
			say(stderr, "securepipeline: writing output: %v\n", err)
			return exitUsage
		}
		return exitClean
	case formatJSON:
		err = audit.WriteJSON(stdout, findings)
	case formatSARIF:
		err = audit.WriteSARIF(stdout, relativeToWorkDir(findings), toolVersion())
	default:
		err = audit.WriteText(stdout, findings)
	}
	if err != nil {
		say(stderr, "securepipeline: writing output: %v\n", err)
		return exitUsage
	}
	if len(audit.Active(findings)) > 0 {
		return exitFindings
	}
	return exitClean
}

// parseInterleaved lets flags follow paths ("audit . --format json"), which
// the flag package alone stops at. Everything after "--" is a path.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		paths = append(paths, args[0])
		args = args[1:]
	}
	return append(paths, tail...), nil
}

// relativeToWorkDir rewrites absolute paths under the working directory as
// relative ones: GitHub code scanning resolves SARIF URIs against the
// repository root, which is where the action runs.
func relativeToWorkDir(findings []audit.Finding) []audit.Finding {
	wd, err := os.Getwd()
	if err != nil {
		return findings
	}
	out := make([]audit.Finding, len(findings))
	for i, f := range findings {
		if filepath.IsAbs(f.File) {
			if rel, err := filepath.Rel(wd, f.File); err == nil && !strings.HasPrefix(rel, "..") {
				f.File = rel
			}
		}
		out[i] = f
	}
	return out
}

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", formatText, "")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, "rules: %v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "rules: unexpected argument %q", fs.Arg(0))
	}
	switch *format {
	case formatJSON:
		type ruleJSON struct {
			ID       string         `json:"id"`
			Name     string         `json:"name"`
			Severity audit.Severity `json:"severity"`
			Summary  string         `json:"summary"`
			Help     string         `json:"help"`
		}
		var out []ruleJSON
		for _, r := range audit.Rules() {
			out = append(out, ruleJSON{r.ID, r.Name, r.Severity, r.Summary, r.Help})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return exitUsage
		}
	case formatText:
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		say(tw, "ID\tNAME\tSEVERITY\tSUMMARY\n")
		for _, r := range audit.Rules() {
			say(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, r.Summary)
		}
		if err := tw.Flush(); err != nil {
			return exitUsage
		}
	default:
		return usageError(stderr, "rules: unknown --format %q (want text or json)", *format)
	}
	return exitClean
}

// toolVersion is the -ldflags version, else the module version recorded by
// "go install module@version", else the VCS revision, else "dev".
func toolVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
