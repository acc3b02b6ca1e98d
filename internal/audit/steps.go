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
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"
)

var (
	commitSHARE    = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	shortSHARE     = regexp.MustCompile(`^[0-9a-fA-F]{7,39}$`)
	dockerDigestRE = regexp.MustCompile(`@sha256:[0-9a-fA-F]{64}$`)
)

// forEachStep calls f for every step of every job, in source order.
func (a *auditor) forEachStep(f func(job *actionlint.Job, step *actionlint.Step)) {
	for _, job := range a.jobs {
		for _, step := range job.Steps {
			if step != nil {
				f(job, step)
			}
		}
	}
}

// actionOf returns the action a step runs, or nil for run: steps.
func actionOf(step *actionlint.Step) *actionlint.ExecAction {
	if e, ok := step.Exec.(*actionlint.ExecAction); ok && e != nil && e.Uses != nil {
		return e
	}
	return nil
}

// runOf returns the script of a run: step, or nil.
func runOf(step *actionlint.Step) *actionlint.ExecRun {
	if e, ok := step.Exec.(*actionlint.ExecRun); ok && e != nil && e.Run != nil {
		return e
	}
	return nil
}

// usesAction reports whether uses refers to the action repo ("owner/name")
// at any ref, but not to an action in a sub-directory of it: anchore/sbom-
// action/download-syft only installs a tool. GitHub owner and repository
// names are case-insensitive.
func usesAction(uses *actionlint.String, repo string) bool {
	if uses == nil {
		return false
	}
	v := strings.TrimSpace(uses.Value)
	if at := strings.IndexByte(v, '@'); at >= 0 {
		v = v[:at]
	}
	return strings.EqualFold(v, repo)
}

// input returns a with: input of an action step (keys are lower-cased by
// the parser), or nil.
func input(e *actionlint.ExecAction, name string) *actionlint.Input {
	if e == nil || e.Inputs == nil {
		return nil
	}
	if in := e.Inputs[name]; in != nil && in.Value != nil {
		return in
	}
	return nil
}

// checkCheckoutCredentials implements SP001.
func checkCheckoutCredentials(a *auditor) {
	a.forEachStep(func(job *actionlint.Job, step *actionlint.Step) {
		e := actionOf(step)
		if e == nil || !usesAction(e.Uses, "actions/checkout") {
			return
		}
		in := input(e, "persist-credentials")
		switch {
		case in == nil:
			a.report(e.Uses.Pos, ruleCheckoutCredentials,
				"actions/checkout persists the GITHUB_TOKEN in .git/config for every later step; add `with: persist-credentials: false`")
		case !alwaysEquals(in.Value, job, "false"):
			if in.Value.ContainsExpression() {
				a.report(in.Value.Pos, ruleCheckoutCredentials,
					"persist-credentials is set by an expression (%s) that cannot be shown to be false; set it to false", in.Value.Value)
			} else {
				a.report(in.Value.Pos, ruleCheckoutCredentials,
					"persist-credentials is %q, so the GITHUB_TOKEN stays in .git/config for every later step; set it to false", in.Value.Value)
			}
		}
	})
}

// checkUnpinnedActions implements SP002, for steps and reusable workflow jobs.
func checkUnpinnedActions(a *auditor) {
	for _, job := range a.jobs {
		if job.WorkflowCall != nil {
			a.checkPinned(job.WorkflowCall.Uses, "reusable workflow")
		}
		for _, step := range job.Steps {
			if step != nil {
				if e := actionOf(step); e != nil {
					a.checkPinned(e.Uses, "action")
				}
			}
		}
	}
}

func (a *auditor) checkPinned(uses *actionlint.String, what string) {
	if uses == nil {
		return
	}
	v := strings.TrimSpace(uses.Value)
	switch {
	case v == "":
		return
	case uses.ContainsExpression():
		a.report(uses.Pos, ruleUnpinnedAction,
			"%s reference %q contains an expression; GitHub does not expand expressions in uses:, and the reference cannot be verified to be pinned", what, v)
	case strings.HasPrefix(v, "./"):
		// Local action or workflow: same commit as the workflow itself.
	case strings.HasPrefix(strings.ToLower(v), "docker://"):
		if !dockerDigestRE.MatchString(v) {
			a.report(uses.Pos, ruleUnpinnedAction,
				"container image %q is referenced by a mutable tag; pin it by digest (docker://image@sha256:<digest>)", v)
		}
	default:
		at := strings.LastIndexByte(v, '@')
		if at < 0 {
			a.report(uses.Pos, ruleUnpinnedAction, "%s %q has no ref; pin it to a full 40-character commit SHA", what, v)
			return
		}
		name, ref := v[:at], v[at+1:]
		switch {
		case commitSHARE.MatchString(ref):
		case mustBeTagPinned(name):
			a.report(uses.Pos, ruleUnpinnedAction,
				"%s %s is referenced by the tag %q, as it must be: it verifies its own version from the ref and does not work pinned to a SHA; "+
					"exempt, but GitHub's \"require actions to be pinned to a full-length commit SHA\" setting would refuse this workflow", what, name, ref)
			a.exempt[exemptKey(uses.Pos.Line, uses.Pos.Col, ruleUnpinnedAction.ID)] = name + " must be referenced by a tag"
		case shortSHARE.MatchString(ref) && strings.ContainsAny(ref, "abcdefABCDEF"):
			a.report(uses.Pos, ruleUnpinnedAction,
				"%s %s is pinned to the abbreviated SHA %q, which can collide with a branch or tag name; use the full 40-character commit SHA", what, name, ref)
		default:
			a.report(uses.Pos, ruleUnpinnedAction,
				"%s %s is referenced by the mutable ref %q; pin it to a full 40-character commit SHA (keep the tag in a comment: @<sha> # %s)", what, name, ref, ref)
		}
	}
}

// mustBeTagPinned reports actions and reusable workflows that do not work
// when pinned to a commit: the SLSA generator's workflows read their own
// ref to find the builder release they verify.
func mustBeTagPinned(name string) bool {
	n := strings.ToLower(name)
	return n == "slsa-framework/slsa-github-generator" || strings.HasPrefix(n, "slsa-framework/slsa-github-generator/")
}

// privilegedTriggers are the events whose runs get the base repository's
// secrets and a write token while being started by outsiders.
var privilegedTriggers = []string{"pull_request_target", "workflow_run"}

// untrustedRefPatterns are contexts that name the pull request's code.
var untrustedRefPatterns = parsePatterns(
	"github.event.pull_request.head",
	"github.event.pull_request.merge_commit_sha",
	"github.head_ref",
	"github.event.workflow_run.head_branch",
	"github.event.workflow_run.head_sha",
	"github.event.workflow_run.head_commit",
	"github.event.workflow_run.head_repository",
	"github.event.workflow_run.pull_requests",
)

var pullRefRE = regexp.MustCompile(`(?:^|[/:\s])pull/(?:\$\{\{[^}]*\}\}|[^/\s]+)/(?:head|merge)\b|refs/pull/`)

// referencesUntrustedCode reports whether s names the pull request's code:
// an expression reading the head ref/SHA/repository, or a refs/pull/ ref.
func referencesUntrustedCode(s string) bool {
	if pullRefRE.MatchString(s) {
		return true
	}
	for _, p := range exprPaths(s) {
		if p.safe {
			continue
		}
		for _, pat := range untrustedRefPatterns {
			if pat.prefixOf(p.segs) {
				return true
			}
		}
	}
	return false
}

// triggers returns the names of the workflow's events.
func (a *auditor) triggers() []string {
	var out []string
	for _, ev := range a.wf.On {
		if ev != nil {
			out = append(out, strings.ToLower(ev.EventName()))
		}
	}
	return out
}

// checkDangerousCheckout implements SP008.
func checkDangerousCheckout(a *auditor) {
	var trigger string
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
	a.forEachStep(func(job *actionlint.Job, step *actionlint.Step) {
		if e := actionOf(step); e != nil {
			if !usesAction(e.Uses, "actions/checkout") {
				return
			}
			for _, name := range []string{"ref", "repository"} {
				if in := input(e, name); in != nil && referencesUntrustedCode(in.Value.Value) {
					a.report(in.Value.Pos, ruleDangerousCheckout,
						"checkout %s %q in a %s workflow fetches untrusted pull request code into a job that has the base repository's secrets and write token",
						name, strings.TrimSpace(in.Value.Value), trigger)
					return
				}
			}
			return
		}
		r := runOf(step)
		if r == nil {
			return
		}
		for _, c := range parseScript(r.Run.Value) {
			sub := c.subcommand(2)
			dangerous := false
			switch c.name {
			case "gh":
				dangerous = sub[0] == "pr" && sub[1] == "checkout"
			case "git":
				switch sub[0] {
				case "fetch", "checkout", "pull", "switch", "reset", "clone", "worktree":
					dangerous = referencesUntrustedCode(strings.Join(c.args, " "))
				}
			}
			if dangerous {
				a.report(a.src.posInValue(r.Run, r.RunPos, c.offset, c.word), ruleDangerousCheckout,
					"%q in a %s workflow fetches untrusted pull request code into a job that has the base repository's secrets and write token",
					strings.TrimSpace(c.word+" "+strings.Join(c.args, " ")), trigger)
			}
		}
	})
}
