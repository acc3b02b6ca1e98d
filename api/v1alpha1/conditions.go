package v1alpha1

// ReconcileRequestAnnotation asks for an immediate resync when its value changes (as Flux's
// reconcile.fluxcd.io/requestedAt does); status.lastHandledReconcileAt echoes the value handled.
const ReconcileRequestAnnotation = "ci.securepipeline.dev/reconcile-requested-at"

// Condition types. Ready, Reconciling and Stalled follow kstatus: Ready is "normal-true" (True is good);
// Reconciling and Stalled are "abnormal-true" (present and True only while something is in flight or
// a human must act). The per-concern conditions are normal-true.
const (
	// ReadyCondition (normal-true) is True when GitHub matches the whole spec.
	ReadyCondition = "Ready"
	// ReconcilingCondition (abnormal-true) is True while the operator is working towards the spec.
	ReconcilingCondition = "Reconciling"
	// StalledCondition (abnormal-true) is True when the operator cannot progress until a human acts
	// (bad credentials, unknown repository or reviewer, a conflicting pipeline).
	StalledCondition = "Stalled"

	// RepositorySettingsReadyCondition (normal-true): the repository's Actions settings match spec.actions.
	RepositorySettingsReadyCondition = "RepositorySettingsReady"
	// EnvironmentsReadyCondition (normal-true): every environment in spec.environments matches on GitHub.
	EnvironmentsReadyCondition = "EnvironmentsReady"
	// CredentialsReadyCondition (normal-true): every registry credential is on GitHub as declared.
	CredentialsReadyCondition = "CredentialsReady"
	// CredentialsRotatedCondition (normal-true): no credential is older than its rotateEvery.
	CredentialsRotatedCondition = "CredentialsRotated"
	// DCOEnforcedCondition (normal-true): DCO enforcement matches spec.dco.
	DCOEnforcedCondition = "DCOEnforced"
	// WorkflowsCompliantCondition (normal-true): the last workflow audit found nothing.
	WorkflowsCompliantCondition = "WorkflowsCompliant"
)

// Condition reasons, in CamelCase as metav1.Condition requires.
const (
	// SucceededReason: the concern matches the spec.
	SucceededReason = "Succeeded"
	// ProgressingReason: the operator is working on it.
	ProgressingReason = "Progressing"
	// SuspendedReason: spec.suspend is true; nothing is written to GitHub.
	SuspendedReason = "Suspended"
	// DeletingReason: the pipeline is being deleted.
	DeletingReason = "Deleting"
	// FailedReason: an operation failed; the operator retries with backoff.
	FailedReason = "Failed"
	// GitHubUnavailableReason: GitHub answered with a server error or not at all; the operator retries.
	GitHubUnavailableReason = "GitHubUnavailable"
	// RateLimitedReason: GitHub's rate limit is spent; the operator waits for it to reset.
	RateLimitedReason = "RateLimited"

	// CredentialsSecretNotFoundReason (stalling): spec.github.credentialsSecretRef does not exist.
	CredentialsSecretNotFoundReason = "CredentialsSecretNotFound"
	// InvalidCredentialsReason (stalling): the GitHub credentials Secret is malformed.
	InvalidCredentialsReason = "InvalidCredentials"
	// AuthenticationFailedReason (stalling): GitHub refused the credentials (401).
	AuthenticationFailedReason = "AuthenticationFailed"
	// AccessDeniedReason (stalling): the credentials lack a permission the operator needs (403).
	AccessDeniedReason = "AccessDenied"
	// RepositoryNotFoundReason (stalling): the repository does not exist or the credentials cannot see it.
	RepositoryNotFoundReason = "RepositoryNotFound"
	// ReviewerNotFoundReason (stalling): a reviewer login or team slug does not exist on GitHub.
	ReviewerNotFoundReason = "ReviewerNotFound"
	// RepositoryConflictReason (stalling): an older SecurePipeline already manages this repository.
	RepositoryConflictReason = "RepositoryConflict"
	// InvalidSpecReason (stalling): GitHub refused a value of the spec (422), or the stored spec breaks a
	// rule the API server checks only at admission (it was stored before the rule existed).
	InvalidSpecReason = "InvalidSpec"
	// EnvironmentNameUnsafeReason (stalling): an environment that holds production-tier credentials has a
	// name with non-ASCII, invisible or compatibility characters, which could pass for another name.
	EnvironmentNameUnsafeReason = "EnvironmentNameUnsafe"

	// SecretNotFoundReason: a registry's credentials Secret does not exist.
	SecretNotFoundReason = "SecretNotFound"
	// SecretTypeUnsupportedReason: a registry's credentials Secret is not dockerconfigjson or basic-auth.
	SecretTypeUnsupportedReason = "SecretTypeUnsupported"
	// MalformedSecretReason: a registry's credentials Secret cannot be parsed.
	MalformedSecretReason = "MalformedSecret"
	// RegistryNotInSecretReason: a dockerconfigjson Secret has no entry for the registry's server.
	RegistryNotInSecretReason = "RegistryNotInSecret"
	// EnvironmentNotGatedReason: a production credential's environment has no required reviewers on GitHub
	// and could not be restored, so the credential was not pushed.
	EnvironmentNotGatedReason = "EnvironmentNotGated"
	// AdminBypassUnsupportedReason (stalling): the GitHub server refuses can_admins_bypass, so repository
	// administrators could deploy with a production credential without approval; it is not pushed unless
	// spec.github.acceptUnenforcedAdminBypass is true.
	AdminBypassUnsupportedReason = "AdminBypassUnsupported"
	// AdminBypassNotEnforcedReason: production credentials were pushed although the GitHub server cannot
	// forbid administrators to bypass the reviewers, because spec.github.acceptUnenforcedAdminBypass is true.
	AdminBypassNotEnforcedReason = "AdminBypassNotEnforced"
	// CredentialTooLargeReason: a registry credential is larger than GitHub's 48 KB limit for secrets.
	CredentialTooLargeReason = "CredentialTooLarge"
	// RotationPendingReason: the operator asked External Secrets Operator for a new credential and waits for it.
	RotationPendingReason = "RotationPending"
	// RotationOverdueReason: a credential is older than rotateEvery and the operator cannot mint a new one.
	RotationOverdueReason = "RotationOverdue"
	// ExternalSecretsUnavailableReason: External Secrets Operator's CRDs are not installed.
	ExternalSecretsUnavailableReason = "ExternalSecretsUnavailable"
	// NoRegistriesReason: spec.registries is empty.
	NoRegistriesReason = "NoRegistries"

	// FindingsReason: the workflow audit found problems.
	FindingsReason = "FindingsPresent"
	// AuditDisabledReason: spec.workflowAudit.enabled is false.
	AuditDisabledReason = "AuditDisabled"
	// DCONotEnforcedReason: spec.dco.enforce is false, and no ruleset of the operator's is left.
	DCONotEnforcedReason = "NotEnforced"
)
