package githubsim

// RenameRepo renames owner/oldName to owner/newName, as a repository admin can on GitHub. GitHub keeps
// answering the old name by redirecting to the repository (301 for reads, 307 for writes); the
// simulator serves the renamed repository under the old name directly, which is what a client that
// follows redirects sees: the repository's new name in the answer. A new repository of the old name
// ends the redirect, as on GitHub.
func (s *Server) RenameRepo(owner, oldName, newName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := repoKey(owner, oldName)
	r := s.st.repos[old]
	if r == nil {
		return
	}
	delete(s.st.repos, old)
	r.Name = newName
	r.FullName = r.Owner + "/" + newName
	s.st.repos[repoKey(owner, newName)] = r
	if s.st.renamed == nil {
		s.st.renamed = map[string]int64{}
	}
	s.st.renamed[old] = r.ID
}
