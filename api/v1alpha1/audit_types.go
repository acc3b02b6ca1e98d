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

package v1alpha1

// AuditIgnore acknowledges findings of the workflow audit, as a maintainer would with a linter's
// configuration: the findings stay visible (counted in status.suppressedFindings and listed apart by
// the CLI), they just no longer make WorkflowsCompliant False.
type AuditIgnore struct {
	// rule is the rule id, SP001-SP012.
	// +kubebuilder:validation:Pattern=`^SP0(0[1-9]|1[0-2])$`
	Rule string `json:"rule"`

	// path is a glob on the file path relative to the repository root, e.g. ".github/workflows/release.yml"
	// or ".github/workflows/*.yml"; "*" and "?" stay within one path segment, "**" spans directories.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Path string `json:"path"`

	// job limits the acknowledgement to findings in this job (its id).
	// +kubebuilder:validation:MaxLength=100
	// +optional
	Job string `json:"job,omitempty"`

	// action limits it to findings on steps using this action ("owner/repo" or "owner/repo/path", any ref).
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+$`
	// +optional
	Action string `json:"action,omitempty"`

	// reason says why the finding is acceptable; it is shown with the acknowledged finding.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`\S`
	Reason string `json:"reason"`
}

// PublishingJob is one job of the repository's workflows that publishes container images (or release
// artefacts), from the audit's publishing inventory.
type PublishingJob struct {
	// workflow is the workflow file, relative to the repository root.
	Workflow string `json:"workflow"`
	// job is the job id.
	Job string `json:"job"`
	// kind is "image" or "release-artifact".
	Kind string `json:"kind"`
	// mechanism is how the job publishes: an action (docker/build-push-action), a command (docker push,
	// imagetools, crane, ko, goreleaser) or the wrapper leading to one (make, composite-action, script,
	// nix, reusable-workflow).
	Mechanism string `json:"mechanism"`
	// images are the image names as far as they could be resolved (at most 10).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +optional
	Images []string `json:"images,omitempty"`
	// signing is keyless, key, github-attestation, none or unknown (part of the job could not be followed).
	Signing string `json:"signing"`
	// sbom is true, false or unknown.
	SBOM string `json:"sbom"`
	// sbomKind is how the SBOM is made: cosign-attestation, github-attestation, buildkit, ko or file.
	// +optional
	SBOMKind string `json:"sbomKind,omitempty"`
	// evidence are file:line places of the publishing, signing and SBOM steps (at most 10).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +optional
	Evidence []string `json:"evidence,omitempty"`
}
