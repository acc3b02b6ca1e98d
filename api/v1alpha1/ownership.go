package v1alpha1

// AllowedOwnersAnnotation, on a Namespace, limits the SecurePipelines in it to repositories of these
// GitHub owners (users or organisations), comma-separated and compared case-insensitively as GitHub
// compares logins, e.g. "acme,acme-labs". Only those who may edit Namespaces (cluster admins) can set
// it, so it bounds what a namespace's tenants can name in spec.repository.owner. Without it, any owner
// is allowed.
const AllowedOwnersAnnotation = "ci.securepipeline.dev/allowed-owners"

const (
	// OwnerNotAllowedReason (stalling): spec.repository.owner is not among the owners the Namespace's
	// AllowedOwnersAnnotation allows; nothing is sent to GitHub.
	OwnerNotAllowedReason = "OwnerNotAllowed"
	// RepositoryRenamedReason (stalling): GitHub answers spec.repository under another owner or name
	// (the repository was renamed or transferred); nothing is written until the spec names it as it is.
	RepositoryRenamedReason = "RepositoryRenamed"
)
