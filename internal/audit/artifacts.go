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
	"path"
	"strings"

	"github.com/rhysd/actionlint"
)

// checkUntrustedArtifacts implements SP011: in a workflow_run or
// pull_request_target workflow, a job downloads artifacts of another
// (the triggering, untrusted) run and then unpacks them into the workspace
// or runs something from them. Downloads of the job's own run (no run-id)
// are trusted. Reading the files as data is fine and not reported.
func checkUntrustedArtifacts(a *auditor) {
	trigger := ""
	for _, t := range a.triggers() {
		for _, p := range privilegedTriggers {
			if t == p && trigger == "" {
				trigger = t
			}
		}
	}
	if trigger == "" {
		return
	}
	for _, job := range a.jobs {
		a.checkJobArtifacts(job, trigger)
	}
}

type artifactState struct {
	downloaded bool
	dirs       []string // where artifacts were unpacked (cleaned, relative)
	what       string   // how, for messages
}

func (a *auditor) checkJobArtifacts(job *actionlint.Job, trigger string) {
	var st artifactState
	for i, step := range job.Steps {
		if step == nil {
			continue
		}
		if e := actionOf(step); e != nil {
			dir, ok := untrustedDownload(e)
			if !ok {
				continue
			}
			st.downloaded, st.what = true, actionName(e.Uses.Value)
			if workspaceDir(dir) {
				if laterRuns(job, i) {
					a.report(e.Uses.Pos, ruleUntrustedArtifact,
						"%s unpacks artifacts of another (untrusted) run into the workspace of this %s job, where later steps run files that the artifacts can overwrite; download into ${{ runner.temp }} and treat the files as data",
						st.what, trigger)
				}
				st.dirs = append(st.dirs, ".")
			} else {
				st.dirs = append(st.dirs, path.Clean(dir))
			}
			continue
		}
		r := runOf(step)
		if r == nil {
			if e, ok := step.Exec.(*actionlint.ExecAction); ok && e != nil && usesAction(e.Uses, "actions/github-script") {
				if in := input(e, "script"); in != nil && strings.Contains(in.Value.Value, "downloadArtifact") {
					st.downloaded, st.what = true, "actions/github-script (downloadArtifact)"
				}
			}
			continue
		}
		for _, c := range parseScript(r.Run.Value) {
			pos := func() *actionlint.Pos { return a.src.posInValue(r.Run, r.RunPos, c.offset, c.word) }
			if c.name == "gh" {
				if sub := c.subcommand(2, "-R", "--repo"); sub[0] == "run" && sub[1] == "download" {
					st.downloaded, st.what = true, "gh run download"
					dir, _ := c.flag("-D", "--dir")
					if dir == "" {
						a.report(pos(), ruleUntrustedArtifact,
							"`gh run download` unpacks artifacts of another (untrusted) run into the working directory of this %s job; pass -D ${{ runner.temp }}/artifacts and treat the files as data", trigger)
						dir = "."
					}
					st.dirs = append(st.dirs, path.Clean(dir))
					continue
				}
			}
			if !st.downloaded {
				continue
			}
			if unpacks(c) {
				a.report(pos(), ruleUntrustedArtifact,
					"`%s` unpacks artifacts downloaded from another (untrusted) run (%s) in this %s job; an archive can overwrite files that later steps run, or escape its directory",
					commandText(c, 2), st.what, trigger)
				continue
			}
			if f := executedFile(c); f != "" && underAny(f, st.dirs) {
				a.report(pos(), ruleUntrustedArtifact,
					"`%s` runs %s, which comes from artifacts of another (untrusted) run (%s), in this %s job with the base repository's secrets and token",
					commandText(c, 2), f, st.what, trigger)
			}
		}
	}
}

// untrustedDownload reports whether e downloads artifacts of another run,
// and where it unpacks them.
func untrustedDownload(e *actionlint.ExecAction) (dir string, ok bool) {
	with := func(k string) string {
		if in := input(e, k); in != nil {
			return strings.TrimSpace(in.Value.Value)
		}
		return ""
	}
	switch {
	case usesAction(e.Uses, "actions/download-artifact"):
		if with("run-id") == "" {
			return "", false // the job's own run
		}
		return with("path"), true
	case usesAction(e.Uses, "dawidd6/action-download-artifact"):
		if strings.EqualFold(with("skip_unpack"), "true") {
			return "(zip files)", true
		}
		return with("path"), true
	}
	return "", false
}

func workspaceDir(d string) bool {
	d = strings.TrimSpace(d)
	switch d {
	case "", ".", "./", "${{ github.workspace }}", "${{github.workspace}}", "$GITHUB_WORKSPACE":
		return true
	}
	return false
}

// laterRuns reports whether a step after i runs code from the workspace.
func laterRuns(job *actionlint.Job, i int) bool {
	for _, s := range job.Steps[i+1:] {
		if s == nil {
			continue
		}
		if runOf(s) != nil {
			return true
		}
		if e := actionOf(s); e != nil && strings.HasPrefix(strings.TrimSpace(e.Uses.Value), "./") {
			return true
		}
	}
	return false
}

func unpacks(c shellCommand) bool {
	switch c.name {
	case "unzip", "gunzip", "bunzip2", "unxz", "7z", "7za", "bsdtar":
		return c.name != "7z" && c.name != "7za" || c.subcommand(1)[0] == "x" || c.subcommand(1)[0] == "e"
	case "tar":
		for _, a := range c.args {
			if a == "--extract" || a == "--get" {
				return true
			}
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "x") {
				return true
			}
			if !strings.HasPrefix(a, "-") && strings.Contains(a, "x") && len(a) <= 5 && strings.Trim(a, "xzvfjJp") == "" {
				return true // "tar xzf a.tgz"
			}
		}
	}
	return false
}

// executedFile is the file a command executes or sources, if it names one.
func executedFile(c shellCommand) string {
	switch c.name {
	case "bash", "sh", "zsh", "source", ".", "python", "python3", "node", "ruby", "perl", "pwsh":
		if pos := c.positionals(); len(pos) > 0 && !c.boolFlag("-c") {
			return pos[0]
		}
	case "chmod":
		if pos := c.positionals(); len(pos) > 1 && strings.Contains(pos[0], "x") {
			return pos[1]
		}
	default:
		if w := strings.Trim(c.word, `"'`); strings.Contains(w, "/") {
			return w
		}
	}
	return ""
}

func underAny(f string, dirs []string) bool {
	f = path.Clean(strings.TrimPrefix(f, "$GITHUB_WORKSPACE/"))
	for _, d := range dirs {
		if d == "." {
			if !path.IsAbs(f) && !strings.HasPrefix(f, "..") && !strings.HasPrefix(f, "$") {
				return true
			}
			continue
		}
		if f == d || strings.HasPrefix(f, d+"/") {
			return true
		}
	}
	return false
}
