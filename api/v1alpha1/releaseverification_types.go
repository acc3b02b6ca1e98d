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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReleasesVerifiedCondition (normal-true): every selected tag of every image in spec.releaseVerification is
// signed by the expected workflow and carries the SBOM and provenance the policy requires. It feeds Ready
// only with spec.releaseVerification.affectsReady: true, and is absent when spec.releaseVerification is.
const ReleasesVerifiedCondition = "ReleasesVerified"

// ReleasesVerified reasons (and status.releases[].reason values).
const (
	// ReleaseVerifiedReason: the tag's digest is signed by the expected signer, with what the policy requires.
	ReleaseVerifiedReason = "Verified"
	// UnsignedReason: no Sigstore bundle refers to the digest (cosign v2's legacy .sig/.att tags are named
	// in the message: they are not verified).
	UnsignedReason = "Unsigned"
	// WrongSignerReason: bundles verify, but none is by the expected workflow, ref and issuer.
	WrongSignerReason = "WrongSigner"
	// SBOMMissingReason: signed, but there is no SBOM attestation.
	SBOMMissingReason = "SBOMMissing"
	// SBOMUnsignedReason: an SBOM exists (e.g. BuildKit's attestation manifest) but no signature of the
	// expected signer covers it.
	SBOMUnsignedReason = "SBOMUnsigned"
	// ProvenanceMissingReason: no SLSA provenance attestation of the expected signer covers the digest.
	ProvenanceMissingReason = "ProvenanceMissing"
	// InvalidSignatureReason: bundles refer to the digest but none verifies against the trusted root
	// (tampered payload, another digest, untrusted certificate or timestamp).
	InvalidSignatureReason = "InvalidSignature"
	// RegistryUnavailableReason: the registry could not be read.
	RegistryUnavailableReason = "RegistryUnavailable"
	// RegistryAccessDeniedReason: the registry refused (401/403/404), or the pull Secret is missing or invalid.
	RegistryAccessDeniedReason = "RegistryAccessDenied"
	// TrustedRootInvalidReason: the trusted root ConfigMap is missing or not a usable trusted_root.json.
	TrustedRootInvalidReason = "TrustedRootInvalid"
)

// SBOMPolicy says whether an SBOM (or provenance) attestation is required.
// +kubebuilder:validation:Enum=Required;Optional
type SBOMPolicy string

const (
	// AttestationRequired makes a missing or unsigned attestation a verification failure.
	AttestationRequired SBOMPolicy = "Required"
	// AttestationOptional reports the attestation when present and does not fail without it.
	AttestationOptional SBOMPolicy = "Optional"
)

// ReleaseVerification verifies the repository's released container images: keyless Sigstore signatures by
// the release workflow, an SBOM and SLSA provenance attestation by the same signer.
type ReleaseVerification struct {
	// images are the OCI repositories the repository publishes.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=repository
	// +required
	Images []ReleaseImage `json:"images"`

	// signer is the expected signing identity.
	// +required
	Signer ReleaseSigner `json:"signer"`

	// sbom is Required (the default) or Optional: an in-toto attestation with an SPDX or CycloneDX
	// predicate, signed by the same signer.
	// +kubebuilder:default=Required
	// +optional
	SBOM SBOMPolicy `json:"sbom,omitempty"`

	// provenance is Required or Optional (the default): an SLSA provenance attestation by the same signer.
	// +kubebuilder:default=Optional
	// +optional
	Provenance SBOMPolicy `json:"provenance,omitempty"`

	// trustedRootRef names a ConfigMap in this namespace with key trusted_root.json: the Sigstore trusted
	// root (certificate authorities, transparency logs, timestamp authorities) signatures must chain to.
	// Unset means Sigstore's public-good instance, read from its TUF repository (bootstrapped from the root
	// embedded in sigstore-go); air-gapped clusters supply one here.
	// +optional
	TrustedRootRef *ConfigMapReference `json:"trustedRootRef,omitempty"`

	// affectsReady makes an unverified release turn Ready False. Off by default: ReleasesVerified is
	// reported on its own.
	// +optional
	AffectsReady bool `json:"affectsReady,omitempty"`

	// interval between checks (at least 1m): each tag costs one HEAD request per interval, and a digest is
	// only verified again when it changed.
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="must be at least 1m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// ConfigMapReference names a ConfigMap in the referring object's namespace.
type ConfigMapReference struct {
	// name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// ReleaseImage is one OCI repository and which of its tags to verify.
type ReleaseImage struct {
	// repository is the OCI repository without tag or digest, e.g. registry.acme.example/payments-api.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)+$`
	// +required
	Repository string `json:"repository"`

	// pullSecretRef names a kubernetes.io/dockerconfigjson Secret in this namespace with pull-only
	// credentials for the registry. It is read by the operator only, never pushed to GitHub, and sent only
	// to the registry's host and its token realm (same registrable domain, or tokenRealmHosts).
	// +optional
	PullSecretRef *SecretReference `json:"pullSecretRef,omitempty"`

	// tokenRealmHosts are further hosts (host[:port]) that may receive the pull credentials as the
	// registry's token realm, e.g. auth.docker.io, needed only when the realm is not on the
	// registry's own registrable domain.
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`
	// +listType=set
	// +optional
	TokenRealmHosts []string `json:"tokenRealmHosts,omitempty"`

	// tags selects the tags to verify.
	// +kubebuilder:default={}
	// +optional
	Tags ReleaseTagSelector `json:"tags,omitempty"`
}

// ReleaseTagSelector selects tags by a glob and keeps the newest.
type ReleaseTagSelector struct {
	// pattern is a glob over tag names ('*', '?', '[...]'), e.g. "v*". Default: every tag.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.*?\[\]^!-]+$`
	// +optional
	Pattern string `json:"pattern,omitempty"`

	// newest is how many of the matching tags to verify (1-20, default 5): newest by semantic version
	// when all are versions, else in reverse lexical order.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	// +kubebuilder:default=5
	// +optional
	Newest int32 `json:"newest,omitempty"`
}

// ReleaseSigner is the expected keyless signing identity: https://github.com/<owner>/<repo>/<workflow>@<ref>.
// +kubebuilder:validation:XValidation:rule="self.workflow.startsWith('.github/workflows/') || self.workflow.matches('^[A-Za-z0-9-]+/[A-Za-z0-9._-]+/[.]github/workflows/')",message="workflow must be under .github/workflows/, or owner/repo/.github/workflows/... for a reusable workflow"
type ReleaseSigner struct {
	// workflow is the signing workflow's path, e.g. .github/workflows/release.yml; for a reusable workflow in
	// another repository owner/repo/.github/workflows/x.yml, and then the certificate's Build Signer URI is
	// that workflow and its Build Config URI a workflow of this repository (the caller).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9-]+/[A-Za-z0-9._-]+/)?\.github/workflows/[A-Za-z0-9._-]+\.ya?ml$`
	// +kubebuilder:validation:XValidation:rule="!self.contains('..')",message="must not contain '..'"
	// +required
	Workflow string `json:"workflow"`

	// refPattern is a glob the git ref of the signing run must match, e.g. "refs/tags/v*" (the caller's
	// ref for reusable workflows). Default: any ref.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^refs/[A-Za-z0-9_./*?\[\]^!-]+$`
	// +optional
	RefPattern string `json:"refPattern,omitempty"`

	// issuer is the expected OIDC issuer.
	// +kubebuilder:default="https://token.actions.githubusercontent.com"
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^https://`
	// +optional
	Issuer string `json:"issuer,omitempty"`
}

// ReleaseStatus is the verification of one tag of one image.
type ReleaseStatus struct {
	// image is the OCI repository.
	Image string `json:"image"`
	// tag verified.
	Tag string `json:"tag"`
	// digest the tag pointed at.
	// +optional
	Digest string `json:"digest,omitempty"`
	// verified is true when everything the policy requires holds.
	Verified bool `json:"verified"`
	// reason is Verified or why not (the ReleasesVerified reasons).
	Reason string `json:"reason"`
	// message says what was found or what failed.
	// +optional
	Message string `json:"message,omitempty"`
	// signer is the certificate identity of the signature.
	// +optional
	Signer *ReleaseSignerStatus `json:"signer,omitempty"`
	// sbomFormat is SPDX or CycloneDX when a signed SBOM covers the digest.
	// +optional
	SBOMFormat string `json:"sbomFormat,omitempty"`
	// provenance is true when a signed SLSA provenance covers the digest.
	// +optional
	Provenance bool `json:"provenance,omitempty"`
	// verifiedTime is when the digest was verified.
	// +optional
	VerifiedTime *metav1.Time `json:"verifiedTime,omitempty"`
}

// ReleaseSignerStatus is what a signing certificate says about its signer.
type ReleaseSignerStatus struct {
	// san is the certificate's subject alternative name.
	SAN string `json:"san"`
	// issuer is the OIDC issuer.
	// +optional
	Issuer string `json:"issuer,omitempty"`
	// ref is the git ref of the signing run.
	// +optional
	Ref string `json:"ref,omitempty"`
	// workflowSHA is the commit the run built.
	// +optional
	WorkflowSHA string `json:"workflowSHA,omitempty"`
}

// ReleaseSuggestion is an image the workflow audit saw a workflow publish, as a starting point for
// spec.releaseVerification.
type ReleaseSuggestion struct {
	// repository is the image repository the workflow pushes to.
	Repository string `json:"repository"`
	// workflow is the publishing workflow's path.
	Workflow string `json:"workflow"`
}
