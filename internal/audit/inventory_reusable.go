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

// callerPublication: a job that calls a local reusable workflow publishes
// what that workflow's jobs publish when called with this job's inputs
// (argo-cd's image.yaml calls image-reuse.yaml with push: false in one job
// and push: true in another). The entry points at the called workflow for
// evidence; SP005/SP006 are reported there, not here.
func (a *auditor) callerPublication(job *actionlint.Job) *Publication {
	wc := job.WorkflowCall
	if wc == nil || wc.Uses == nil || !strings.HasPrefix(strings.TrimSpace(wc.Uses.Value), "./") || a.peers == nil {
		return nil
	}
	callee := a.peers[pathClean(wc.Uses.Value)]
	if callee == nil || callee == a {
		return nil
	}
	in := callee.inputDefaults()
	for k, v := range wc.Inputs {
		if v != nil && v.Value != nil && !strings.Contains(v.Value.Value, "${{") {
			in[strings.ToLower(k)] = v.Value.Value
		}
	}
	view := callee.withCallers([]map[string]string{in})
	for _, cj := range view.jobs {
		p := view.publication(cj)
		if p == nil {
			continue
		}
		out := *p
		out.Workflow, out.Job = a.path, job.ID.Value
		out.Mechanism = "reusable-workflow"
		out.Via = nil
		for _, v := range p.Via {
			out.Via = append(out.Via, "reusable-workflow "+callee.path+" -> "+v)
		}
		out.Evidence = append([]string{a.loc(wc.Uses.Pos).String()}, p.Evidence...)
		out.at = a.loc(wc.Uses.Pos)
		return &out
	}
	return nil
}

// withCallers is a view of the same workflow evaluated for other caller
// inputs (fresh caches, same parse).
func (a *auditor) withCallers(callers []map[string]string) *auditor {
	b := *a
	b.callers = callers
	b.findings = nil
	b.opsCache = map[*actionlint.Job][]op{}
	b.pubCache = map[*actionlint.Job]*Publication{}
	b.peers = nil // no chains of reusable workflows: GitHub allows 4 levels, the audit one
	return &b
}

// remoteWorkflowFacts: a job that calls a reusable workflow of another
// repository with packages: write can push images, and the audit cannot
// read that workflow. It is listed as a publication of unknown signing
// rather than guessed either way. The SLSA generators only write
// provenance, and are not publications.
func (a *auditor) remoteWorkflowFacts(job *actionlint.Job, f *jobFacts) {
	wc := job.WorkflowCall
	if wc == nil || wc.Uses == nil {
		return
	}
	uses := strings.TrimSpace(wc.Uses.Value)
	if strings.HasPrefix(uses, "./") || mustBeTagPinned(actionName(uses)) {
		return
	}
	perms := job.Permissions
	if perms == nil {
		perms = a.wf.Permissions
	}
	if perms == nil {
		return
	}
	s := perms.Scopes["packages"]
	if !isWriteAll(perms) && (s == nil || s.Value == nil || !strings.EqualFold(strings.TrimSpace(s.Value.Value), "write")) {
		return
	}
	at := a.loc(wc.Uses.Pos)
	f.logins = append(f.logins, "ghcr.io")
	f.loginLocs = append(f.loginLocs, at)
	f.unfollowed = append(f.unfollowed, unfollowedFact{
		desc: "reusable workflow " + actionName(uses) + " of another repository, called with packages: write, is not followed",
		mech: "reusable-workflow", at: at})
}

// inputVariants returns the sets of inputs the workflow is called with by
// the repository's other workflows (for a reusable workflow), else one set
// of the declared defaults.
func (a *auditor) inputVariants() []map[string]string {
	if len(a.callers) > 0 {
		return a.callers
	}
	return []map[string]string{a.inputDefaults()}
}

func (a *auditor) inputDefaults() map[string]string {
	out := map[string]string{}
	for _, ev := range a.wf.On {
		if wc, ok := ev.(*actionlint.WorkflowCallEvent); ok {
			for _, in := range wc.Inputs {
				if in != nil && in.Name != nil && in.Default != nil {
					out[strings.ToLower(in.Name.Value)] = in.Default.Value
				}
			}
		}
	}
	return out
}

func pathClean(uses string) string {
	return path.Clean(strings.TrimSpace(uses))
}
