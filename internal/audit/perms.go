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
	"slices"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"
)

// checkMissingPermissions implements SP003. It reports once per job rather
// than once per workflow: each job is a separate token, the fix may be a
// job-level block, and a per-job finding stays put when another job is
// given permissions.
func checkMissingPermissions(a *auditor) {
	if a.wf.Permissions != nil {
		return
	}
	for _, job := range a.jobs {
		if job.Permissions == nil {
			a.report(job.ID.Pos, ruleMissingPermissions,
				"job %q runs with the repository's default GITHUB_TOKEN permissions: neither the workflow nor the job declares permissions:",
				job.ID.Value)
		}
	}
}

// checkExcessivePermissions implements SP004.
func checkExcessivePermissions(a *auditor) {
	if p := a.wf.Permissions; p != nil {
		who := a.inheritingJobs()
		if isWriteAll(p) {
			a.report(p.All.Pos, ruleExcessivePermissions,
				"workflow grants permissions: write-all %s; declare read-only workflow permissions and grant write scopes per job", who)
		}
		for _, name := range sortedScopes(p) {
			s := p.Scopes[name]
			if s.Value != nil && strings.EqualFold(strings.TrimSpace(s.Value.Value), "write") {
				a.report(s.Value.Pos, ruleExcessivePermissions,
					"workflow-level permissions grant %s: write %s; grant it only in the jobs that need it", scopeName(name, s), who)
			}
		}
	}
	for _, job := range a.jobs {
		if isWriteAll(job.Permissions) {
			a.report(job.Permissions.All.Pos, ruleExcessivePermissions,
				"job %q has permissions: write-all; list only the scopes it needs", job.ID.Value)
		}
	}
}

// checkKeylessSigning implements SP007.
func checkKeylessSigning(a *auditor) {
	for _, job := range a.jobs {
		perms, level := job.Permissions, "job-level"
		if perms == nil {
			perms, level = a.wf.Permissions, "workflow-level"
		}
		if perms == nil {
			level = "default"
		}
		if hasIDTokenWrite(perms) {
			continue
		}
		for _, step := range job.Steps {
			r := runOf(step)
			if step == nil || r == nil {
				continue
			}
			for _, c := range parseScript(r.Run.Value) {
				sub, keyless := cosignSigning(c)
				if sub == "" || !keyless {
					continue
				}
				if _, explicit := c.flag("--identity-token"); explicit {
					continue // its own OIDC token (a private Sigstore stack): no id-token needed
				}
				a.report(a.src.posInValue(r.Run, r.RunPos, c.offset, c.word), ruleKeylessWithoutIDToken,
					"keyless `cosign %s` needs an OIDC token, but the %s permissions of job %q do not grant id-token: write", sub, level, job.ID.Value)
			}
		}
	}
}

// inheritingJobs says which jobs a workflow-level grant reaches: those
// without their own permissions: block (a job-level block replaces it).
func (a *auditor) inheritingJobs() string {
	var names []string
	for _, j := range a.jobs {
		if j.Permissions == nil {
			names = append(names, j.ID.Value)
		}
	}
	switch {
	case len(names) == len(a.jobs) && len(names) > 1:
		return "to every job"
	case len(names) == 0:
		return "to no job today (each declares its own permissions) but to any job added without a permissions: block"
	case len(names) == 1:
		return "to job " + strconv.Quote(names[0])
	}
	return "to jobs " + strings.Join(names, ", ")
}

func isWriteAll(p *actionlint.Permissions) bool {
	return p != nil && p.All != nil && strings.EqualFold(strings.TrimSpace(p.All.Value), "write-all")
}

// hasIDTokenWrite reports whether p lets the job request an OIDC token. The
// default token (p == nil) never does.
func hasIDTokenWrite(p *actionlint.Permissions) bool {
	if p == nil {
		return false
	}
	if isWriteAll(p) {
		return true
	}
	s := p.Scopes["id-token"]
	return s != nil && s.Value != nil && strings.EqualFold(strings.TrimSpace(s.Value.Value), "write")
}

func sortedScopes(p *actionlint.Permissions) []string {
	names := make([]string, 0, len(p.Scopes))
	for n, s := range p.Scopes {
		if s != nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func scopeName(key string, s *actionlint.PermissionScope) string {
	if s.Name != nil && s.Name.Value != "" {
		return s.Name.Value
	}
	return key
}
