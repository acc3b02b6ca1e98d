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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const (
	// SetLabel on a SecurePipeline names the SecurePipelineSet (in the same namespace) it was made from.
	SetLabel = "ci.securepipeline.dev/set"
	// DetachAnnotation set to "true" on a SecurePipeline made by a set detaches it from the set's
	// template: the set removes its owner reference and label and never changes or deletes it again.
	// The pipeline then counts as hand-written and keeps its repository.
	DetachAnnotation = "ci.securepipeline.dev/detach"
	// DetachedFromAnnotation records which set a detached pipeline came from.
	DetachedFromAnnotation = "ci.securepipeline.dev/detached-from"
	// ShardLabel assigns an object to a shard (a manager started with --watch-label-selector).
	// A set's children inherit it; objects without it belong to the default shard.
	ShardLabel = "sharding.securepipeline.dev/key"

	// DefaultSetInterval is how often a set lists its organisation's repositories when spec.interval is unset.
	DefaultSetInterval = 10 * time.Minute

	// MaxSetStatusEntries bounds status.notReady and status.plan.
	MaxSetStatusEntries = 50
)

// Set condition reasons (besides SucceededReason, ProgressingReason, SuspendedReason and the stalling
// reasons of the GitHub connection).
const (
	// ChildrenNotReadyReason: some children are not Ready (see status.notReady).
	ChildrenNotReadyReason = "ChildrenNotReady"
	// InvalidSelectorReason (stalling): a name pattern of spec.selector is not a valid glob.
	InvalidSelectorReason = "InvalidSelector"
	// OrganizationNotFoundReason (stalling): spec.selector.owner is not an organisation the credentials can see.
	OrganizationNotFoundReason = "OrganizationNotFound"
)

// SecurePipelineSetSpec applies one SecurePipeline template to every repository of an organisation
// that the selector matches, creating one child SecurePipeline per repository.
type SecurePipelineSetSpec struct {
	// selector chooses the organisation's repositories.
	// +required
	Selector RepositorySelector `json:"selector"`

	// github says how to reach GitHub and which credentials to use, for listing the repositories and
	// for every child pipeline.
	// +required
	GitHub GitHubConnection `json:"github"`

	// template is what each child pipeline is made of.
	// +required
	Template SecurePipelineTemplate `json:"template"`

	// interval is how often the organisation's repositories are listed again (at least 1m, default 10m).
	// The list is read with conditional requests, so an unchanged organisation costs no primary rate limit.
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="must be at least 1m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// suspend makes the set a dry run: no child is created, changed or deleted; status.plan lists what
	// would be. Children that exist keep running as they are.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// Visibility is a repository's visibility on GitHub.
// +kubebuilder:validation:Enum=public;private;internal
type Visibility string

// RepositorySelector chooses repositories of one organisation. A repository is selected when it is not
// in exclude, and either is in include or matches every filter that is set (names, topics, properties,
// visibility). Archived repositories are left out unless includeArchived is true: GitHub refuses writes
// to them.
type RepositorySelector struct {
	// owner is the organisation whose repositories are listed.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=39
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`
	// +required
	Owner string `json:"owner"`

	// names are glob patterns ("payments-*", "svc-?", "[a-m]*"), matched case-insensitively against the
	// repository name; a repository matches if any pattern does. Empty: every name.
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=100
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9._*?\[\]^-]+$`
	// +optional
	Names []string `json:"names,omitempty"`

	// topics the repository must all have (GitHub topics are lower-case).
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9][a-z0-9-]{0,49}$`
	// +optional
	Topics []string `json:"topics,omitempty"`

	// properties are organisation custom properties the repository must all match.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Properties []PropertySelector `json:"properties,omitempty"`

	// visibility limits the selection to these visibilities. Empty: any.
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +optional
	Visibility []Visibility `json:"visibility,omitempty"`

	// includeArchived also selects archived repositories (off by default).
	// +optional
	IncludeArchived bool `json:"includeArchived,omitempty"`

	// include names repositories (case-insensitively) that are selected whatever the filters say.
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=100
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9._-]+$`
	// +optional
	Include []string `json:"include,omitempty"`

	// exclude names repositories (case-insensitively) that are never selected; it wins over include.
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=100
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9._-]+$`
	// +optional
	Exclude []string `json:"exclude,omitempty"`
}

// PropertySelector matches an organisation custom property of a repository.
type PropertySelector struct {
	// name of the custom property.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=75
	// +required
	Name string `json:"name"`

	// values the property may have; a multi-select property matches if any of its values is listed.
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=75
	// +required
	Values []string `json:"values"`
}

// SecurePipelineTemplate is what each child pipeline of a set is made of.
type SecurePipelineTemplate struct {
	// metadata holds labels and annotations given to every child.
	// +optional
	Metadata TemplateMetadata `json:"metadata,omitzero"`

	// spec is a SecurePipeline spec without repository and github, which the set fills in.
	// +required
	Spec SecurePipelineTemplateSpec `json:"spec"`
}

// TemplateMetadata are labels and annotations for the children.
type TemplateMetadata struct {
	// labels for every child; the set's own label and the shard label are always the set's.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// annotations for every child.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SecurePipelineTemplateSpec is SecurePipelineSpec without repository, github and suspend: its fields,
// markers and cross-field rules are the same (TestTemplateSpecMatchesPipelineSpec keeps them in step).
//
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, has(self.environments) && self.environments.exists(e, e.name.lowerAscii() == r.environment.lowerAscii()))",message="spec.registries[].environment must name an entry of spec.environments (compared case-insensitively, as GitHub compares environment names)",fieldPath=".registries"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, r.tier != 'production' || (has(self.environments) && self.environments.exists(e, e.name.lowerAscii() == r.environment.lowerAscii() && has(e.reviewers) && size(e.reviewers) > 0)))",message="spec.registries[]: a production-tier registry's environment must have at least one reviewer in spec.environments[].reviewers (production credentials require a maintainer's approval)",fieldPath=".registries"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, r.tier != 'production' || r.environment.matches('^[A-Za-z0-9][A-Za-z0-9._-]*$'))",message="spec.registries[]: a production-tier registry's environment name must be plain ASCII (letters, digits, '.', '_', '-'), so that no look-alike of another environment's name can hold production credentials",fieldPath=".registries"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(r, r.tier != 'production' || !has(self.environments) || self.environments.all(e, e.name.lowerAscii() != r.environment.lowerAscii() || ((!has(e.allowAdminBypass) || !e.allowAdminBypass) && (!has(e.preventSelfReview) || e.preventSelfReview))))",message="spec.environments[]: an environment that holds a production-tier registry's credentials must not set allowAdminBypass: true nor preventSelfReview: false (repository admins and the person who triggered a deployment must not skip the approval)",fieldPath=".environments"
// +kubebuilder:validation:XValidation:rule="!has(self.registries) || self.registries.all(a, self.registries.exists_one(b, b.environment.lowerAscii() == a.environment.lowerAscii() && ((has(a.secretNames) && has(a.secretNames.username) ? a.secretNames.username : a.name.replace('-', '_') + '_username').upperAscii() == (has(b.secretNames) && has(b.secretNames.username) ? b.secretNames.username : b.name.replace('-', '_') + '_username').upperAscii() || (has(a.secretNames) && has(a.secretNames.username) ? a.secretNames.username : a.name.replace('-', '_') + '_username').upperAscii() == (has(b.secretNames) && has(b.secretNames.password) ? b.secretNames.password : b.name.replace('-', '_') + '_password').upperAscii() || (has(a.secretNames) && has(a.secretNames.password) ? a.secretNames.password : a.name.replace('-', '_') + '_password').upperAscii() == (has(b.secretNames) && has(b.secretNames.username) ? b.secretNames.username : b.name.replace('-', '_') + '_username').upperAscii() || (has(a.secretNames) && has(a.secretNames.password) ? a.secretNames.password : a.name.replace('-', '_') + '_password').upperAscii() == (has(b.secretNames) && has(b.secretNames.password) ? b.secretNames.password : b.name.replace('-', '_') + '_password').upperAscii())))",message="spec.registries[].secretNames: GitHub secret names (case-insensitive, including the defaults derived from the registry name) must be unique within one environment across registries",fieldPath=".registries"
type SecurePipelineTemplateSpec struct {
	// actions: see SecurePipelineSpec.actions.
	// +kubebuilder:default={}
	// +optional
	Actions ActionsSettings `json:"actions,omitempty"`

	// environments: see SecurePipelineSpec.environments.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.name.lowerAscii() == a.name.lowerAscii()))",message="environment names must be unique case-insensitively: GitHub treats names that differ only in case (e.g. production and Production) as one environment"
	// +optional
	Environments []Environment `json:"environments,omitempty"`

	// registries: see SecurePipelineSpec.registries. The Secrets are read from the set's namespace and
	// shared by every child, so one rotation reaches every repository.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Registries []Registry `json:"registries,omitempty"`

	// dco: see SecurePipelineSpec.dco.
	// +kubebuilder:default={}
	// +optional
	DCO DCO `json:"dco,omitempty"`

	// workflowAudit: see SecurePipelineSpec.workflowAudit.
	// +kubebuilder:default={}
	// +optional
	WorkflowAudit WorkflowAudit `json:"workflowAudit,omitempty"`

	// releaseVerification: see SecurePipelineSpec.releaseVerification.
	// +optional
	ReleaseVerification *ReleaseVerification `json:"releaseVerification,omitempty"`

	// deletionPolicy of every child: what happens on GitHub when a repository leaves the selection or
	// the set is deleted (its child is deleted). Orphan (the default) leaves GitHub as it is.
	// +kubebuilder:default=Orphan
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// SecurePipelineSetStatus is what the set last saw and did.
type SecurePipelineSetStatus struct {
	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, Reconciling and Stalled (kstatus-compatible). Ready is True when every matched
	// repository has a Ready child.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// matched is the number of repositories the selector matches.
	// +optional
	Matched int32 `json:"matched"`

	// ready is the number of children that are Ready for their current generation.
	// +optional
	Ready int32 `json:"ready"`

	// notReady lists matched repositories without a Ready child, with the reason, sorted by repository,
	// at most 50.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	// +optional
	NotReady []SetMember `json:"notReady,omitempty"`

	// omittedNotReady counts the not-ready repositories beyond the 50 listed.
	// +optional
	OmittedNotReady int32 `json:"omittedNotReady,omitempty"`

	// plan lists, while spec.suspend is true, what the set would do (at most 50, sorted).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Plan []PlannedChange `json:"plan,omitempty"`

	// omittedPlan counts the planned changes beyond the 50 listed.
	// +optional
	OmittedPlan int32 `json:"omittedPlan,omitempty"`

	// effectiveSyncPeriod is how long the children's periodic resyncs actually take to come round: the
	// manager's --sync-period while the GitHub identity's request budget keeps up, longer when the fleet
	// needs more than the budget (the budget wins; see the README's sizing section).
	// +optional
	EffectiveSyncPeriod *metav1.Duration `json:"effectiveSyncPeriod,omitempty"`

	// lastListTime is when the organisation's repositories were last listed.
	// +optional
	LastListTime *metav1.Time `json:"lastListTime,omitempty"`

	// lastHandledReconcileAt is the value of the ci.securepipeline.dev/reconcile-requested-at annotation
	// last handled: set it to list the organisation's repositories now.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// SetMember is a matched repository that has no Ready child.
type SetMember struct {
	// repository is the repository's name in spec.selector.owner.
	Repository string `json:"repository"`
	// pipeline is the SecurePipeline (namespace/name) that manages or would manage the repository.
	// +optional
	Pipeline string `json:"pipeline,omitempty"`
	// reason is the child's Ready reason, or why the set made no child (ManagedElsewhere, NameTaken, Detached).
	Reason string `json:"reason"`
	// message says more.
	// +optional
	Message string `json:"message,omitempty"`
}

// PlanAction is what a set would do to a child.
// +kubebuilder:validation:Enum=Create;Update;Delete
type PlanAction string

const (
	// PlanCreate: a child would be created.
	PlanCreate PlanAction = "Create"
	// PlanUpdate: a child's spec would change to the template.
	PlanUpdate PlanAction = "Update"
	// PlanDelete: a child would be deleted (its deletionPolicy applies).
	PlanDelete PlanAction = "Delete"
)

// PlannedChange is one change a suspended set would make.
type PlannedChange struct {
	// action is Create, Update or Delete.
	Action PlanAction `json:"action"`
	// repository is the repository's name.
	Repository string `json:"repository"`
	// pipeline is the child's name.
	Pipeline string `json:"pipeline"`
}

// Reasons a matched repository has no child of the set (in status.notReady).
const (
	// ManagedElsewhereReason: a SecurePipeline not made by this set manages the repository; it keeps it.
	ManagedElsewhereReason = "ManagedElsewhere"
	// NameTakenReason: the child's name is taken by a SecurePipeline not made by this set.
	NameTakenReason = "NameTaken"
	// PendingReason: the child is not created yet, or has not reported for its current generation.
	PendingReason = "Pending"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=spls,categories=securepipeline
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.selector.owner`
// +kubebuilder:printcolumn:name="Matched",type=integer,JSONPath=`.status.matched`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="metadata.name: a SecurePipelineSet's name is a label value on its children, so at most 63 characters"

// SecurePipelineSet applies one SecurePipeline template to the repositories of an organisation that a
// selector matches, keeping one child SecurePipeline per repository.
type SecurePipelineSet struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is a standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec selects repositories and holds the template.
	// +required
	Spec SecurePipelineSetSpec `json:"spec"`

	// status is what the set last saw and did.
	// +optional
	Status SecurePipelineSetStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// SecurePipelineSetList contains a list of SecurePipelineSet.
type SecurePipelineSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []SecurePipelineSet `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &SecurePipelineSet{}, &SecurePipelineSetList{})
		return nil
	})
}
