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
	"strings"

	"github.com/rhysd/actionlint"
)

// untrustedInputs are contexts whose text is chosen by whoever opens an
// issue, pull request, comment, discussion or commit, including people
// without any access to the repository. "*" stands for any array index.
var untrustedInputs = parsePatterns(
	"github.event.issue.title",
	"github.event.issue.body",
	"github.event.issue.labels.*.name",
	"github.event.pull_request.title",
	"github.event.pull_request.body",
	"github.event.pull_request.head.ref",
	"github.event.pull_request.head.label",
	"github.event.pull_request.head.repo.default_branch",
	"github.event.pull_request.labels.*.name",
	"github.event.label.name",
	"github.event.comment.body",
	"github.event.review.body",
	"github.event.review_comment.body",
	"github.event.pages.*.page_name",
	"github.event.commits.*.message",
	"github.event.commits.*.author.email",
	"github.event.commits.*.author.name",
	"github.event.commits.*.committer.email",
	"github.event.commits.*.committer.name",
	"github.event.head_commit.message",
	"github.event.head_commit.author.email",
	"github.event.head_commit.author.name",
	"github.event.head_commit.committer.email",
	"github.event.head_commit.committer.name",
	"github.event.workflow_run.head_branch",
	"github.event.workflow_run.display_title",
	"github.event.workflow_run.head_commit.message",
	"github.event.workflow_run.head_commit.author.email",
	"github.event.workflow_run.head_commit.author.name",
	"github.event.workflow_run.pull_requests.*.head.ref",
	"github.event.discussion.title",
	"github.event.discussion.body",
	"github.head_ref",
)

// checkTemplateInjection implements SP010 for run: scripts and the script
// input of actions/github-script. Each offending expression is reported at
// its own position inside the script.
func checkTemplateInjection(a *auditor) {
	a.forEachStep(func(job *actionlint.Job, step *actionlint.Step) {
		if r := runOf(step); r != nil {
			a.checkScriptInjection(r.Run, r.RunPos, "run: script", "\"$VALUE\"")
			return
		}
		if e := actionOf(step); e != nil && usesAction(e.Uses, "actions/github-script") {
			if in := input(e, "script"); in != nil {
				var key *actionlint.Pos
				if in.Name != nil {
					key = in.Name.Pos
				}
				a.checkScriptInjection(in.Value, key, "github-script script", "process.env.VALUE")
			}
		}
	})
}

func (a *auditor) checkScriptInjection(script *actionlint.String, key *actionlint.Pos, where, use string) {
	if script == nil || !strings.Contains(script.Value, "${{") {
		return
	}
	s := script.Value
	for _, sp := range findExprs(s) {
		for _, p := range sp.paths(s) {
			if p.safe {
				continue
			}
			pat, ok := matchAny(p.segs, untrustedInputs)
			if !ok {
				continue
			}
			text := s[sp.start:sp.end]
			what := p.String()
			if len(p.segs) < len(pat) {
				what += " (which contains " + strings.Join(pat, ".") + ")"
			}
			a.report(a.src.posInValue(script, key, sp.start, text), ruleTemplateInjection,
				"%s expands attacker-controlled %s into the %s before it is parsed (code injection); pass it through env: instead (env: VALUE: %s) and use %s",
				text, what, where, text, use)
			break
		}
	}
}
