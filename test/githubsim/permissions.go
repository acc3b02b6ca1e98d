package githubsim

// repoPermissions is the "permissions" object of a repository as the caller sees it. GitHub describes
// the authenticated user's role: a credential with write access administers the repository (the
// simulator's tokens stand for repository admins), a read-only one only pulls, and anyone else reading
// a public repository only pulls too.
func (c *call) repoPermissions(r *repo) map[string]bool {
	admin := c.cred != nil && c.cred.canSee(r) && !c.cred.ReadOnly
	return map[string]bool{"admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": true}
}
