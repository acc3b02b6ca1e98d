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
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
)

// checkSecretsOutsideEnv implements SP009.
//
// Jobs that call a reusable workflow (jobs.<id>.uses) are skipped, whether
// they pass secrets explicitly or with "secrets: inherit": GitHub does not
// allow environment: on such jobs, so the caller cannot fix it. The called
// workflow is audited on its own, and its jobs that use the secrets are the
// ones that must declare the environment.
func checkSecretsOutsideEnv(a *auditor) {
	// Secrets in the workflow-level env: reach every job.
	var wfEnv []*actionlint.String
	if e := a.wf.Env; e != nil {
		wfEnv = append(wfEnv, e.Expression)
		for _, v := range e.Vars {
			if v != nil {
				wfEnv = append(wfEnv, v.Value)
			}
		}
	}
	for _, job := range a.jobs {
		if job.WorkflowCall != nil || hasEnvironment(job) {
			continue
		}
		names := secretNames(append(jobStrings(job), wfEnv...))
		if len(names) == 0 {
			continue
		}
		subject := "the secret is"
		if len(names) > 1 {
			subject = "the secrets are"
		}
		a.report(job.ID.Pos, ruleSecretsOutsideEnvironment,
			"job %q uses %s but declares no environment:, so %s released without any protection rule; store %s and add environment: <name> to the job",
			job.ID.Value, strings.Join(names, ", "), subject, pluralPick(len(names), "it as an environment secret", "them as environment secrets"))
	}
}

func pluralPick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func hasEnvironment(job *actionlint.Job) bool {
	e := job.Environment
	return e != nil && e.Name != nil && strings.TrimSpace(e.Name.Value) != ""
}

// secretNames lists the secrets read by expressions in strs, other than the
// automatic GITHUB_TOKEN, sorted and de-duplicated.
func secretNames(strs []*actionlint.String) []string {
	seen := map[string]bool{}
	for _, s := range strs {
		if s == nil || !strings.Contains(s.Value, "${{") {
			continue
		}
		for _, p := range exprPaths(s.Value) {
			if p.segs[0] != "secrets" {
				continue
			}
			var name string
			switch {
			case len(p.segs) == 1:
				name = "all secrets (secrets object)"
			case p.segs[1] == "*":
				name = "a dynamically selected secret"
			case strings.EqualFold(p.segs[1], "github_token"):
				continue
			default:
				name = "secrets." + spelledAs(s.Value, p.segs[1])
			}
			seen[name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

var secretRefRE = regexp.MustCompile(`secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])`)

// spelledAs returns the secret name lower as it is written in text (the
// expression parser lower-cases names; GitHub compares them ignoring case,
// but a maintainer searches for what they wrote).
func spelledAs(text, lower string) string {
	for _, m := range secretRefRE.FindAllStringSubmatch(text, -1) {
		for _, g := range m[1:] {
			if g != "" && strings.EqualFold(g, lower) {
				return g
			}
		}
	}
	return lower
}

// jobStrings collects every string of a job where an expression may read a
// secret: job env, if, container and services, outputs, and each step's
// if/name/env/run/with.
func jobStrings(job *actionlint.Job) []*actionlint.String {
	var out []*actionlint.String
	add := func(ss ...*actionlint.String) { out = append(out, ss...) }
	addEnv := func(e *actionlint.Env) {
		if e == nil {
			return
		}
		add(e.Expression)
		for _, v := range e.Vars {
			if v != nil {
				add(v.Value)
			}
		}
	}
	addContainer := func(c *actionlint.Container) {
		if c == nil {
			return
		}
		add(c.Image, c.Options)
		if c.Credentials != nil {
			add(c.Credentials.Username, c.Credentials.Password, c.Credentials.Expression)
		}
		addEnv(c.Env)
	}

	add(job.If, job.Name)
	addEnv(job.Env)
	addContainer(job.Container)
	if job.Services != nil {
		add(job.Services.Expression)
		for _, s := range job.Services.Value {
			if s != nil {
				addContainer(s.Container)
			}
		}
	}
	for _, o := range job.Outputs {
		if o != nil {
			add(o.Value)
		}
	}
	if job.RunsOn != nil {
		add(job.RunsOn.LabelsExpr)
	}
	for _, step := range job.Steps {
		if step == nil {
			continue
		}
		add(step.If, step.Name)
		addEnv(step.Env)
		switch e := step.Exec.(type) {
		case *actionlint.ExecRun:
			if e != nil {
				add(e.Run, e.Shell, e.WorkingDirectory)
			}
		case *actionlint.ExecAction:
			if e != nil {
				add(e.Uses, e.Args, e.Entrypoint)
				for _, in := range e.Inputs {
					if in != nil {
						add(in.Value)
					}
				}
			}
		}
	}
	return out
}
