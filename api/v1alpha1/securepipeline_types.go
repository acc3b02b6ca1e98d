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
	"k8s.io/apimachinery/pkg/runtime"
)

// SecurePipelineSpec declares the CI/CD security posture a GitHub repository must have.
// The operator makes GitHub match it and keeps it that way.
//
// Cross-field rules are checked by the API server at admission, so a broken pipeline is refused
// before any controller acts on it.
//
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, has(self.environments) && self.environments.exists(e, e.name == r.environment))",message="spec.registries[].environment must name an entry of spec.environments",fieldPath=".registries"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, r.tier != 'production' || (has(self.environments) && self.environments.exists(e, e.name == r.environment && has(e.reviewers) && size(e.reviewers) > 0)))",message="spec.registries[]: a production-tier registry's environment must have at least one reviewer in spec.environments[].reviewers (production credentials require a maintainer's approval)",fieldPath=".registries"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(a, self.registries.exists_one(b, b.environment == a.environment && ((has(a.secretNames) && has(a.secretNames.username) ? a.secretNames.username : a.name.replace('-', '_') + '_username').upperAscii() == (has(b.secretNames) && has(b.secretNames.username) ? b.secretNames.username : b.name.replace('-', '_') + '_username').upperAscii() || (has(a.secretNames) && has(a.secretNames.username) ? a.secretNames.username : a.name.replace('-', '_') + '_username').upperAscii() == (has(b.secretNames) && has(b.secretNames.password) ? b.secretNames.password : b.name.replace('-', '_') + '_password').upperAscii() || (has(a.secretNames) && has(a.secretNames.password) ? a.secretNames.password : a.name.replace('-', '_') + '_password').upperAscii() == (has(b.secretNames) && has(b.secretNames.username) ? b.secretNames.username : b.name.replace('-', '_') + '_username').upperAscii() || (has(a.secretNames) && has(a.secretNames.password) ? a.secretNames.password : a.name.replace('-', '_') + '_password').upperAscii() == (has(b.secretNames) && has(b.secretNames.password) ? b.secretNames.password : b.name.replace('-', '_') + '_password').upperAscii())))",message="spec.registries[].secretNames: GitHub secret names (case-insensitive, including the defaults derived from the registry name) must be unique within one environment across registries",fieldPath=".registries"
type SecurePipelineSpec struct {
	// repository is the GitHub repository this pipeline secures.
	// +required
	Repository RepositoryReference `json:"repository"`

	// github says how to reach GitHub and which credentials to use.
	// +required
	GitHub GitHubConnection `json:"github"`

	// actions holds the repository's GitHub Actions settings: the default GITHUB_TOKEN permissions,
	// whether Actions may approve pull requests, and whether actions must be pinned to commit SHAs.
	// +kubebuilder:default={}
	// +optional
	Actions ActionsSettings `json:"actions,omitempty"`

	// environments are the GitHub deployment environments the operator creates and keeps as declared,
	// typically a "ci" environment for development credentials and a "production" environment whose jobs
	// need a maintainer's approval. Environments that exist on GitHub but are not listed here are never touched.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Environments []Environment `json:"environments,omitempty"`

	// registries are container registry credentials, read from Secrets in this namespace and pushed,
	// encrypted, as secrets of one environment each.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Registries []Registry `json:"registries,omitempty"`

	// dco enforces the Developer Certificate of Origin: every commit carries a Signed-off-by trailer,
	// checked by a required status check in a repository ruleset the operator owns.
	// +kubebuilder:default={}
	// +optional
	DCO DCO `json:"dco,omitempty"`

	// workflowAudit checks the repository's GitHub Actions workflows against the secure-pipeline rules
	// (SP001-SP010) and reports findings in status.
	// +kubebuilder:default={}
	// +optional
	WorkflowAudit WorkflowAudit `json:"workflowAudit,omitempty"`

	// releaseVerification verifies the repository's released container images: Sigstore keyless signatures
	// by the release workflow, SBOMs and provenance. Absent means off.
	// +optional
	ReleaseVerification *ReleaseVerification `json:"releaseVerification,omitempty"`

	// deletionPolicy says what happens on GitHub when this pipeline is deleted.
	// Orphan (the default) leaves GitHub as it is; Delete removes what this pipeline created there
	// (environments it created, secrets it pushed, its ruleset) and nothing else.
	// +kubebuilder:default=Orphan
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// suspend stops all writes to GitHub for this pipeline until it is set back to false.
	// Status still reports what the operator last saw.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// RepositoryReference names a GitHub repository.
type RepositoryReference struct {
	// owner is the user or organisation that owns the repository: 1-39 letters, digits or single
	// hyphens, neither starting nor ending with a hyphen.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=39
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`
	// +required
	Owner string `json:"owner"`

	// name is the repository's name: 1-100 of letters, digits, '.', '_' and '-', and not "." or "..".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]+$`
	// +kubebuilder:validation:XValidation:rule="self != '.' && self != '..'",message="must not be '.' or '..'"
	// +required
	Name string `json:"name"`
}

// GitHubConnection says how to reach GitHub.
type GitHubConnection struct {
	// apiURL is the GitHub REST API base URL, e.g. https://github.example.com/api/v3/ for GitHub
	// Enterprise Server. Empty means the manager's --github-api-url flag (default https://api.github.com/).
	// It must be https; plain http is accepted only to a literal loopback address or localhost (local
	// testing). One server has one spelling here: no query, fragment, user info or percent-encoding, and
	// a host that is a DNS name in ASCII or an IP address in canonical form. The operator compares
	// servers in canonical form (lower-case host, no default port, clean path) and refuses the same
	// values itself, for objects stored before these rules existed.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="!self.contains('?')",message="must not have a query (?...)"
	// +kubebuilder:validation:XValidation:rule="!self.contains('#')",message="must not have a fragment (#...)"
	// +kubebuilder:validation:XValidation:rule=`!self.matches('[[:space:][:cntrl:]%]') && !self.contains('\\')`,message="must not contain white space, control characters, percent signs or backslashes"
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() != ''",message="must be an absolute URL such as https://github.example.com/api/v3/"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[^/]*//[^/]*@')",message="must not carry user info (user:password@)"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getScheme() == '' || self.matches('^[A-Za-z][A-Za-z0-9+.-]*://(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?[.])*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?[.]?|[[][0-9A-Fa-f:]+[]])(:[0-9]*)?(/|$)')",message="the host must be a DNS name of ASCII letters, digits and hyphens, or an IP address"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getScheme() == '' || self.matches('^[A-Za-z][A-Za-z0-9+.-]*://(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}(:[0-9]*)?(/|$)') || !self.matches('^[^/]*//([^/]*[.])?(0[xX][0-9A-Fa-f]*|[0-9]+)[.]?(:[0-9]*)?(/|$)')",message="the host looks like an IP address but is not one in canonical form (e.g. 127.1 or 2130706433)"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getPort() == '' || (size(url(self).getPort()) <= 5 && int(url(self).getPort()) >= 1 && int(url(self).getPort()) <= 65535)",message="the port must be between 1 and 65535"
	// +kubebuilder:validation:XValidation:rule=`!isURL(self) || self.matches("^[^/]*//[^/]*(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?$")`,message="the path may only hold letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ /"
	// +kubebuilder:validation:XValidation:rule="!isURL(self) || url(self).getScheme() == '' || self.matches('^[hH][tT][tT][pP][sS]://') || self.matches('^[hH][tT][tT][pP]://([lL][oO][cC][aA][lL][hH][oO][sS][tT]|127([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|[[]::1[]])(:[0-9]*)?(/|$)')",message="must be https; plain http is accepted only to a literal loopback address (127.0.0.0/8, ::1) or localhost"
	// +optional
	APIURL string `json:"apiURL,omitempty"`

	// credentialsSecretRef names a Secret in this pipeline's namespace that holds either a token
	// (key "token": a fine-grained personal access token) or a GitHub App's credentials
	// (keys "appID", "installationID" and "privateKey").
	// +required
	CredentialsSecretRef SecretReference `json:"credentialsSecretRef"`
}

// SecretReference names a Secret in the referring object's namespace. There is deliberately no namespace
// field: a pipeline can only use credentials from its own namespace.
type SecretReference struct {
	// name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// ExternalSecretReference names an External Secrets Operator ExternalSecret in the referring object's namespace.
type ExternalSecretReference struct {
	// name of the ExternalSecret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// WorkflowPermissions is the default permission of the GITHUB_TOKEN given to workflows.
// +kubebuilder:validation:Enum=read;write
type WorkflowPermissions string

const (
	// WorkflowPermissionsRead gives workflows a read-only GITHUB_TOKEN unless a workflow asks for more.
	WorkflowPermissionsRead WorkflowPermissions = "read"
	// WorkflowPermissionsWrite gives workflows a read-write GITHUB_TOKEN.
	WorkflowPermissionsWrite WorkflowPermissions = "write"
)

// SHAPinningPolicy says when GitHub's "require actions to be pinned to a full-length commit SHA" setting is on.
// +kubebuilder:validation:Enum=Required;WhenCompliant;Unmanaged
type SHAPinningPolicy string

const (
	// SHAPinningRequired turns the setting on now.
	SHAPinningRequired SHAPinningPolicy = "Required"
	// SHAPinningWhenCompliant turns the setting on once the workflow audit finds no unpinned action (SP002),
	// because switching it on breaks every workflow that is not yet pinned.
	SHAPinningWhenCompliant SHAPinningPolicy = "WhenCompliant"
	// SHAPinningUnmanaged leaves the setting as it is on GitHub.
	SHAPinningUnmanaged SHAPinningPolicy = "Unmanaged"
)

// ActionsSettings are the repository's GitHub Actions settings.
type ActionsSettings struct {
	// defaultWorkflowPermissions is the permission of the repository's default GITHUB_TOKEN:
	// read (the default, least privilege) or write.
	// +kubebuilder:default=read
	// +optional
	DefaultWorkflowPermissions WorkflowPermissions `json:"defaultWorkflowPermissions,omitempty"`

	// canApprovePullRequestReviews lets GitHub Actions create and approve pull requests.
	// Off by default: a workflow that can approve its own pull request bypasses review.
	// +kubebuilder:default=false
	// +optional
	CanApprovePullRequestReviews bool `json:"canApprovePullRequestReviews,omitempty"`

	// shaPinning manages GitHub's "require actions to be pinned to a full-length commit SHA" setting:
	// Required turns it on; WhenCompliant (the default) turns it on only once the workflow audit finds
	// no unpinned action; Unmanaged leaves it alone.
	// +kubebuilder:default=WhenCompliant
	// +optional
	SHAPinning SHAPinningPolicy `json:"shaPinning,omitempty"`
}

// Environment is a GitHub deployment environment and its protection rules.
type Environment struct {
	// name of the environment on GitHub, e.g. "ci" or "production".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.contains('/') && !self.contains('%') && self.trim() == self",message="must not contain '/' or '%' nor start or end with white space"
	// +required
	Name string `json:"name"`

	// reviewers must approve a job that uses this environment before it runs: at most 6 users or teams.
	// +kubebuilder:validation:MaxItems=6
	// +listType=atomic
	// +optional
	Reviewers []Reviewer `json:"reviewers,omitempty"`

	// preventSelfReview stops the person who triggered a deployment from approving it. On by default.
	// +kubebuilder:default=true
	// +optional
	PreventSelfReview *bool `json:"preventSelfReview,omitempty"`

	// waitTimerMinutes delays jobs that use this environment by this many minutes (0-43200, i.e. 30 days).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=43200
	// +optional
	WaitTimerMinutes int32 `json:"waitTimerMinutes,omitempty"`

	// deploymentBranches limits which branches and tags may deploy to this environment.
	// Unset means any branch or tag may.
	// +optional
	DeploymentBranches *DeploymentBranches `json:"deploymentBranches,omitempty"`
}

// Reviewer is a GitHub user or team. Exactly one of user and team is set.
// +kubebuilder:validation:XValidation:rule="has(self.user) != has(self.team)",message="exactly one of user or team must be set"
type Reviewer struct {
	// user is a GitHub login.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=39
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`
	// +optional
	User string `json:"user,omitempty"`

	// team is a team slug in the repository owner's organisation, e.g. "release-managers".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.-]*$`
	// +optional
	Team string `json:"team,omitempty"`
}

// DeploymentBranches limits which refs may deploy to an environment: either the repository's protected
// branches, or named patterns, not both.
// +kubebuilder:validation:XValidation:rule="!(has(self.protectedBranches) && self.protectedBranches && has(self.patterns) && size(self.patterns) > 0)",message="set either protectedBranches: true or patterns, not both"
// +kubebuilder:validation:XValidation:rule="(has(self.protectedBranches) && self.protectedBranches) || (has(self.patterns) && size(self.patterns) > 0)",message="set protectedBranches: true or at least one pattern (omit deploymentBranches to allow every branch)"
type DeploymentBranches struct {
	// protectedBranches allows only the repository's protected branches to deploy.
	// +optional
	ProtectedBranches bool `json:"protectedBranches,omitempty"`

	// patterns are branch or tag name patterns (GitHub's fnmatch syntax, e.g. "main" or "release/*")
	// allowed to deploy. The operator keeps GitHub's list exactly equal to this one.
	// +listType=map
	// +listMapKey=name
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Patterns []DeploymentBranchPattern `json:"patterns,omitempty"`
}

// RefType is the kind of git ref a deployment pattern matches.
// +kubebuilder:validation:Enum=branch;tag
type RefType string

const (
	// RefTypeBranch matches branch names.
	RefTypeBranch RefType = "branch"
	// RefTypeTag matches tag names.
	RefTypeTag RefType = "tag"
)

// DeploymentBranchPattern is a branch or tag name pattern allowed to deploy to an environment.
type DeploymentBranchPattern struct {
	// name is the pattern, e.g. "main", "release/*" or "v*".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Name string `json:"name"`

	// type says whether the pattern matches branches (the default) or tags.
	// +kubebuilder:default=branch
	// +optional
	Type RefType `json:"type,omitempty"`
}

// RegistryTier says how sensitive a registry credential is.
// +kubebuilder:validation:Enum=development;production
type RegistryTier string

const (
	// RegistryTierDevelopment is a credential for a development registry, typically pushed to the "ci" environment.
	RegistryTierDevelopment RegistryTier = "development"
	// RegistryTierProduction is a credential that may only be pushed to an environment with required reviewers.
	RegistryTierProduction RegistryTier = "production"
)

// Registry is a container registry credential pushed to GitHub as environment secrets.
// +kubebuilder:validation:XValidation:rule="(has(self.secretNames) && has(self.secretNames.username) ? self.secretNames.username : self.name.replace('-', '_') + '_username').upperAscii() != (has(self.secretNames) && has(self.secretNames.password) ? self.secretNames.password : self.name.replace('-', '_') + '_password').upperAscii()",message="secretNames.username and secretNames.password must differ (GitHub secret names are case-insensitive)",fieldPath=".secretNames"
// +kubebuilder:validation:XValidation:rule="(has(self.secretNames) && has(self.secretNames.username) && has(self.secretNames.password)) || !self.name.upperAscii().startsWith('GITHUB-')",message="the secret names derived from a name starting with 'github-' would start with GITHUB_, which GitHub reserves: choose another name or set both secretNames",fieldPath=".name"
type Registry struct {
	// name identifies this registry in the pipeline; the default GitHub secret names derive from it
	// ("prod-registry" gives PROD_REGISTRY_USERNAME and PROD_REGISTRY_PASSWORD).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`

	// server is the registry host as it appears in a docker config, e.g. "ghcr.io" or
	// "registry.example.com:5000". Docker Hub's "https://index.docker.io/v1/" entries match "docker.io".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`
	// +required
	Server string `json:"server"`

	// environment is the name of the entry of spec.environments whose secrets receive this credential.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Environment string `json:"environment"`

	// tier is development (the default) or production. A production credential is only pushed to an
	// environment that has required reviewers, both in the spec (checked at admission) and on GitHub
	// (checked before every push).
	// +kubebuilder:default=development
	// +optional
	Tier RegistryTier `json:"tier,omitempty"`

	// credentialsSecretRef names a Secret in this namespace of type kubernetes.io/dockerconfigjson
	// (with an entry for server) or kubernetes.io/basic-auth.
	// +required
	CredentialsSecretRef SecretReference `json:"credentialsSecretRef"`

	// externalSecretRef names the External Secrets Operator ExternalSecret in this namespace that
	// produces credentialsSecretRef. With it, rotateEvery asks External Secrets Operator for a fresh credential.
	// +optional
	ExternalSecretRef *ExternalSecretReference `json:"externalSecretRef,omitempty"`

	// secretNames are the names of the GitHub environment secrets; they default to names derived from name.
	// +optional
	SecretNames *RegistrySecretNames `json:"secretNames,omitempty"`

	// rotateEvery is the longest a credential may stay on GitHub unchanged (at least 1h, e.g. "720h").
	// When it is older, the operator asks External Secrets Operator for a new one (externalSecretRef),
	// or reports CredentialsRotated=False if it cannot.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1h')",message="must be at least 1h"
	// +optional
	RotateEvery *metav1.Duration `json:"rotateEvery,omitempty"`
}

// RegistrySecretNames are the GitHub secret names a registry credential is stored under.
type RegistrySecretNames struct {
	// username is the secret holding the registry user name, e.g. PROD_REGISTRY_USERNAME.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:XValidation:rule="!self.upperAscii().startsWith('GITHUB_')",message="must not start with GITHUB_ (GitHub reserves that prefix)"
	// +optional
	Username string `json:"username,omitempty"`

	// password is the secret holding the registry password or token, e.g. PROD_REGISTRY_PASSWORD.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:XValidation:rule="!self.upperAscii().startsWith('GITHUB_')",message="must not start with GITHUB_ (GitHub reserves that prefix)"
	// +optional
	Password string `json:"password,omitempty"`
}

// DCO is the Developer Certificate of Origin enforcement.
type DCO struct {
	// enforce creates a repository ruleset, owned by the operator, that requires statusCheck on the
	// default branch. Turning it off removes that ruleset and nothing else.
	// +optional
	Enforce bool `json:"enforce,omitempty"`

	// statusCheck is the status check context a DCO app or workflow reports, "DCO" by default.
	// +kubebuilder:default=DCO
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	StatusCheck string `json:"statusCheck,omitempty"`

	// requireWebCommitSignoff makes commits made in GitHub's web interface carry a sign-off too,
	// while enforce is on. On by default.
	// +kubebuilder:default=true
	// +optional
	RequireWebCommitSignoff *bool `json:"requireWebCommitSignoff,omitempty"`
}

// WorkflowAudit configures the audit of the repository's GitHub Actions workflows.
type WorkflowAudit struct {
	// enabled runs the audit. On by default.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// interval between audits (at least 1m); an audit also runs on every spec change.
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="must be at least 1m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// disabledRules are rule ids (SP001-SP012) not to report.
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^SP0(0[1-9]|1[0-2])$`
	// +optional
	DisabledRules []string `json:"disabledRules,omitempty"`

	// ignore acknowledges findings (rule, path glob, optional job or action, and a reason); an inline
	// comment "# securepipeline: ignore[SP001] reason" on the line or its step does the same.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Ignore []AuditIgnore `json:"ignore,omitempty"`
}

// DeletionPolicy says what happens on GitHub when a SecurePipeline is deleted.
// +kubebuilder:validation:Enum=Orphan;Delete
type DeletionPolicy string

const (
	// DeletionPolicyOrphan leaves GitHub as it is.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
	// DeletionPolicyDelete removes from GitHub what this pipeline created, and nothing else.
	DeletionPolicyDelete DeletionPolicy = "Delete"
)

// SecurePipelineStatus is what the operator last saw and did. It never holds a secret value.
type SecurePipelineStatus struct {
	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, Reconciling and Stalled (kstatus-compatible), and one per concern:
	// RepositorySettingsReady, EnvironmentsReady, CredentialsReady, CredentialsRotated, DCOEnforced, WorkflowsCompliant,
	// and ReleasesVerified with spec.releaseVerification.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// repositoryID is GitHub's numeric id of the repository, as this pipeline's own credentials last read
	// it (as a repository admin, when GitHub says). It is the pipeline's proof of access: only pipelines
	// with it take part in deciding which one owns a repository. It is cleared when the credentials can
	// no longer read or administer the repository, or the pipeline is refused before reading it.
	// +optional
	RepositoryID int64 `json:"repositoryID,omitempty"`

	// environments lists the declared environments as GitHub holds them.
	// +listType=map
	// +listMapKey=name
	// +optional
	Environments []EnvironmentStatus `json:"environments,omitempty"`

	// registries lists, per registry, the secrets pushed and a fingerprint of what was pushed.
	// +listType=map
	// +listMapKey=name
	// +optional
	Registries []RegistryStatus `json:"registries,omitempty"`

	// dcoRulesetID is the id of the repository ruleset this pipeline owns for DCO enforcement.
	// +optional
	DCORulesetID int64 `json:"dcoRulesetID,omitempty"`

	// findings are the workflow audit's findings, sorted, at most 50.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Findings []Finding `json:"findings,omitempty"`

	// omittedFindings counts the findings beyond the 50 listed.
	// +optional
	OmittedFindings int32 `json:"omittedFindings,omitempty"`

	// suppressedFindings counts the findings acknowledged (spec.workflowAudit.ignore, inline comments) or
	// exempted by the audit; they are not in findings and do not affect WorkflowsCompliant.
	// +optional
	SuppressedFindings int32 `json:"suppressedFindings,omitempty"`

	// publishing lists the jobs that publish images or release artefacts, with how they sign and make
	// SBOMs (at most 20, images first).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Publishing []PublishingJob `json:"publishing,omitempty"`

	// publishingCount is the number of publishing jobs found, including those beyond the 20 listed.
	// +optional
	PublishingCount int32 `json:"publishingCount,omitempty"`

	// lastAuditTime is when the workflows were last audited.
	// +optional
	LastAuditTime *metav1.Time `json:"lastAuditTime,omitempty"`

	// releases are the verified tags of spec.releaseVerification's images, at most 100.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Releases []ReleaseStatus `json:"releases,omitempty"`

	// releaseSuggestions are images the workflow audit saw published, for spec.releaseVerification.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +optional
	ReleaseSuggestions []ReleaseSuggestion `json:"releaseSuggestions,omitempty"`

	// lastSyncTime is when GitHub last matched the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// lastHandledReconcileAt is the value of the ci.securepipeline.dev/reconcile-requested-at annotation
	// last handled: set the annotation (e.g. to the current time) to ask for an immediate resync.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// EnvironmentStatus is a declared environment as GitHub holds it.
type EnvironmentStatus struct {
	// name of the environment.
	Name string `json:"name"`
	// id is GitHub's numeric id of the environment.
	// +optional
	ID int64 `json:"id,omitempty"`
	// createdByOperator is true when this pipeline created the environment; only such environments are
	// removed by deletionPolicy: Delete.
	// +optional
	CreatedByOperator bool `json:"createdByOperator,omitempty"`
	// reviewers is the number of required reviewers GitHub holds for it.
	// +optional
	Reviewers int32 `json:"reviewers,omitempty"`
}

// RegistryStatus records what was pushed for one registry, never the value itself.
type RegistryStatus struct {
	// name of the registry in spec.registries.
	Name string `json:"name"`
	// environment the secrets were pushed to.
	// +optional
	Environment string `json:"environment,omitempty"`
	// usernameSecret is the GitHub secret name holding the user name.
	// +optional
	UsernameSecret string `json:"usernameSecret,omitempty"`
	// passwordSecret is the GitHub secret name holding the password.
	// +optional
	PasswordSecret string `json:"passwordSecret,omitempty"`
	// fingerprint is a keyed hash (HMAC-SHA-256 with a per-pipeline key) of what was pushed; it tells
	// whether the source changed without revealing the value.
	// +optional
	Fingerprint string `json:"fingerprint,omitempty"`
	// lastPushTime is when the secrets were last written to GitHub.
	// +optional
	LastPushTime *metav1.Time `json:"lastPushTime,omitempty"`
	// lastRotationTime is when the credential's value last changed.
	// +optional
	LastRotationTime *metav1.Time `json:"lastRotationTime,omitempty"`
	// rotationRequestedTime is when the operator last asked External Secrets Operator for a new credential.
	// +optional
	RotationRequestedTime *metav1.Time `json:"rotationRequestedTime,omitempty"`
}

// Finding is a workflow audit finding.
type Finding struct {
	// file is the workflow's path in the repository.
	File string `json:"file"`
	// line, 1-based.
	// +optional
	Line int32 `json:"line,omitempty"`
	// column, 1-based.
	// +optional
	Column int32 `json:"column,omitempty"`
	// rule id, e.g. SP001.
	Rule string `json:"rule"`
	// severity: error, warning or note.
	// +optional
	Severity string `json:"severity,omitempty"`
	// message says what is wrong and how to fix it.
	Message string `json:"message"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=spl,categories=securepipeline
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.repository.owner`,priority=1
// +kubebuilder:printcolumn:name="Repository",type=string,JSONPath=`.spec.repository.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// SecurePipeline makes a GitHub repository's CI/CD secure by construction: protected environments,
// registry credentials as environment secrets, least-privilege Actions settings, DCO and a workflow audit.
type SecurePipeline struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is a standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec declares the repository's CI/CD security posture.
	// +required
	Spec SecurePipelineSpec `json:"spec"`

	// status is what the operator last saw and did.
	// +optional
	Status SecurePipelineStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// SecurePipelineList contains a list of SecurePipeline.
type SecurePipelineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []SecurePipeline `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &SecurePipeline{}, &SecurePipelineList{})
		return nil
	})
}
