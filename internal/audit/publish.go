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
	"strings"

	"github.com/rhysd/actionlint"
)

// checkImagePublishing implements SP005 and SP006 from the publishing
// inventory. Signing and the SBOM must happen in the publishing job itself:
// only there is the pushed digest known for certain, and a separate job
// cannot be tied to this push statically. A job whose signing or SBOM is
// "unknown" (part of it could not be followed) gets no finding: the
// inventory says what was not followed instead of guessing.
func checkImagePublishing(a *auditor) {
	for _, job := range a.jobs {
		if job.WorkflowCall != nil {
			continue // reported in the called workflow, or not readable
		}
		p := a.publication(job)
		if p == nil || p.Kind != KindImage {
			continue
		}
		pos := &actionlint.Pos{Line: p.at.line, Col: p.at.col}
		if p.at.file != a.path {
			// Published from a Makefile, script or local action: report at
			// the step, naming where.
			pos = a.stepPosOf(job, p)
		}
		where := ""
		if p.at.file != a.path {
			where = " at " + p.at.String()
		}
		if p.Signing == signingNone {
			a.report(pos, ruleImageNotSigned,
				"job %q publishes a container image (%s%s) but no step in the job signs it with `cosign sign`", job.ID.Value, p.what, where)
		}
		if p.SBOM == sbomFalse {
			a.report(pos, ruleImageWithoutSBOM,
				"job %q publishes a container image (%s%s) but no step in the job produces an SBOM (build-push-action sbom: true, anchore/sbom-action, syft, or cosign attest --type spdxjson|cyclonedx)",
				job.ID.Value, p.what, where)
		}
	}
}

// stepPosOf finds the workflow step through which p's first push happens.
func (a *auditor) stepPosOf(job *actionlint.Job, p *Publication) *actionlint.Pos {
	for _, o := range a.jobOps(job) {
		if o.loc == p.at && o.step != nil {
			root := o.step
			for root.caller != nil {
				root = root.caller
			}
			if root.posInWorkflow != nil {
				return root.posInWorkflow
			}
		}
	}
	return job.ID.Pos
}

// envValue resolves an environment variable visible to a step: step env,
// then job env, then workflow env. Unknown or expression-driven maps give "".
func (a *auditor) envValue(job *actionlint.Job, step *actionlint.Step, name string) string {
	key := strings.ToLower(name)
	for _, env := range []*actionlint.Env{step.Env, job.Env, a.wf.Env} {
		if env != nil && env.Vars != nil {
			if v := env.Vars[key]; v != nil && v.Value != nil {
				return v.Value.Value
			}
		}
	}
	return ""
}

// alwaysTruthy reports whether v is certainly set to something other than
// false or empty (build-push-action's sbom also takes generator options).
func alwaysTruthy(v *actionlint.String, job *actionlint.Job) bool {
	vals, known := possibleValues(v, job)
	if !known || len(vals) == 0 {
		return false
	}
	for _, x := range vals {
		x = strings.TrimSpace(x)
		if x == "" || strings.EqualFold(x, "false") {
			return false
		}
	}
	return true
}

// outputPushes reports whether a buildx --output / outputs: value pushes.
func outputPushes(s string) bool {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	return strings.Contains(s, "type=registry") || strings.Contains(s, "push=true")
}

func isSBOMFormat(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "spdx") || strings.HasPrefix(s, "cyclonedx")
}

// Subcommands shared by several container tools.
const (
	subPush  = "push"
	subBuild = "build"
)

// containerCLIValued are global flags of docker/podman/nerdctl (and of
// "compose") that take a separate value, so that "docker --context ci push"
// is still recognised as a push.
var containerCLIValued = []string{
	"--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
	"--url", "--connection", "--root", "--runroot", "--storage-driver", "--namespace", "-n", "--address", "-a",
	"-f", "--file", "-p", "--project-name",
}

// pushesImage reports whether a shell command publishes a container image to
// a registry. env resolves environment variables of the step (for ko).
func pushesImage(c shellCommand, env func(string) string) bool {
	switch c.name {
	case "docker", "podman", "nerdctl":
		sub := c.subcommand(3, containerCLIValued...)
		switch sub[0] {
		case subPush:
			return true
		case "image", "manifest", "compose":
			return sub[1] == subPush
		case subBuild:
			return buildPushes(c)
		case "buildx":
			switch sub[1] {
			case subBuild, "b", "bake":
				return buildPushes(c)
			case "imagetools":
				return sub[2] == "create" && !c.boolFlag("--dry-run")
			}
		}
	case "buildah":
		sub := c.subcommand(2, containerCLIValued...)
		return sub[0] == subPush || (sub[0] == "manifest" && sub[1] == subPush)
	case "crane", "gcrane":
		switch c.subcommand(1)[0] {
		case subPush, "copy", "cp", "append", "mutate":
			return true
		}
	case "ko":
		switch c.subcommand(1)[0] {
		case subBuild, "publish", "resolve", "apply", "create", "run":
			return koPushes(c, env)
		}
	case "skopeo":
		switch c.subcommand(1)[0] {
		case "copy", "sync":
			pos := c.positionals()
			return len(pos) > 0 && strings.HasPrefix(strings.ToLower(pos[len(pos)-1]), "docker://")
		}
	}
	return false
}

// buildPushes reports whether a docker/buildx build pushes its result.
func buildPushes(c shellCommand) bool {
	if c.boolFlag("--push") {
		return true
	}
	return slices.ContainsFunc(c.flagValues("--output", "-o"), outputPushes)
}

// koPushes: ko publishes to $KO_DOCKER_REPO unless told to build locally
// (--local / -L / --push=false) or the repo is the ko.local / kind.local
// pseudo-registry.
func koPushes(c shellCommand, env func(string) string) bool {
	if c.boolFlag("--local") || c.boolFlag("-L") {
		return false
	}
	if c.flagSetTo("--push", "false") {
		return false
	}
	repo := env("KO_DOCKER_REPO")
	for _, as := range c.assigns {
		if v, ok := strings.CutPrefix(as, "KO_DOCKER_REPO="); ok {
			repo = v
		}
	}
	repo = strings.ToLower(strings.Trim(repo, `'"`))
	return !strings.HasPrefix(repo, "ko.local") && !strings.HasPrefix(repo, "kind.local")
}

// cosignSigning returns the cosign subcommand if c signs or attests
// something, and whether it does so keylessly (no --key or --sk), which needs
// an OIDC token.
func cosignSigning(c shellCommand) (sub string, keyless bool) {
	if c.name != "cosign" {
		return "", false
	}
	switch s := c.subcommand(1)[0]; s {
	case "sign", "sign-blob", "attest", "attest-blob":
		_, keyed := c.flag("--key", "--sk")
		return s, !keyed
	}
	return "", false
}

// producesSBOM reports whether a shell command generates an SBOM.
func producesSBOM(c shellCommand) bool {
	switch c.name {
	case "syft":
		switch c.subcommand(1)[0] {
		case "", "version", "help", "login", "completion", "cataloger", "config":
			return false
		}
		return true
	case "cosign":
		sub := c.subcommand(2)
		switch sub[0] {
		case "attest":
			t, _ := c.flag("--type")
			t = strings.ToLower(t)
			return strings.Contains(t, "spdx") || strings.Contains(t, "cyclonedx")
		case "attach":
			return sub[1] == "sbom"
		}
	case "docker", "podman":
		sub := c.subcommand(2, containerCLIValued...)
		if sub[0] == "sbom" {
			return true
		}
		if sub[0] == subBuild || (sub[0] == "buildx" && (sub[1] == subBuild || sub[1] == "b" || sub[1] == "bake")) {
			if c.boolFlag("--sbom") || (c.hasFlagWithValue("--sbom") && !c.flagSetTo("--sbom", "false")) {
				return true
			}
			for _, at := range c.flagValues("--attest") {
				if strings.Contains(strings.ToLower(at), "type=sbom") {
					return true
				}
			}
		}
	case "trivy":
		f, _ := c.flag("--format", "-f")
		return isSBOMFormat(f)
	}
	return false
}

// commandLine renders the program and its first n positional words.
func commandLine(c shellCommand, n int) string {
	parts := []string{c.name}
	for i, p := range c.positionals(containerCLIValued...) {
		if i >= n {
			break
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}
