package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// CheckSelector validates what admission cannot: the name globs.
func CheckSelector(sel *civ1alpha1.RepositorySelector) error {
	for i, p := range sel.Names {
		if _, err := path.Match(strings.ToLower(p), ""); err != nil {
			return fmt.Errorf("spec.selector.names[%d] %q is not a valid glob pattern (use *, ? and [a-z] classes): %w", i, p, err)
		}
	}
	return nil
}

// Select returns the repositories sel matches, in the order given. props holds custom
// property values by lower-cased repository and property name (nil when sel uses no properties).
// CheckSelector must have passed.
func Select(sel *civ1alpha1.RepositorySelector, repos []githubapi.OrgRepository, props map[string]map[string][]string) []githubapi.OrgRepository {
	lowerSet := func(names []string) map[string]bool {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			m[strings.ToLower(n)] = true
		}
		return m
	}
	include, exclude := lowerSet(sel.Include), lowerSet(sel.Exclude)
	var out []githubapi.OrgRepository
	for _, r := range repos {
		name := strings.ToLower(r.Name)
		switch {
		case exclude[name]:
			continue
		case r.Archived && !sel.IncludeArchived:
			// GitHub refuses every write to an archived repository, include or not.
			continue
		case include[name] || matchesFilters(sel, r, props[name]):
			out = append(out, r)
		}
	}
	return out
}

// matchesFilters reports whether r passes every filter of sel that is set.
func matchesFilters(sel *civ1alpha1.RepositorySelector, r githubapi.OrgRepository, props map[string][]string) bool {
	if len(sel.Names) > 0 && !slices.ContainsFunc(sel.Names, func(p string) bool {
		ok, _ := path.Match(strings.ToLower(p), strings.ToLower(r.Name))
		return ok
	}) {
		return false
	}
	for _, t := range sel.Topics {
		if !slices.Contains(r.Topics, strings.ToLower(t)) {
			return false
		}
	}
	for _, ps := range sel.Properties {
		have := props[strings.ToLower(ps.Name)]
		if !slices.ContainsFunc(have, func(v string) bool { return slices.Contains(ps.Values, v) }) {
			return false
		}
	}
	if len(sel.Visibility) > 0 && !slices.Contains(sel.Visibility, civ1alpha1.Visibility(r.Visibility)) {
		return false
	}
	return true
}

// ChildName is the SecurePipeline name of a set's child for a repository: the repository name
// lower-cased (GitHub names are case-insensitive, so "Web" and "web" are one repository) when that is
// already a valid object name. Otherwise it is a sanitised form, a dot and a hash of the lower-cased name,
// so that "api.v2", "api_v2" and "api-v2" (three repositories) get three names; the dot keeps hashed
// names apart from every plain one (a plain name has no dot), and 64 bits of hash keep two hashed names
// apart. The same repository always gets the same name.
func ChildName(repo string) string {
	lower := strings.ToLower(repo)
	var b strings.Builder
	for _, c := range lower {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	clean := strings.Trim(b.String(), "-")
	if clean == lower && len(validation.IsDNS1123Subdomain(clean)) == 0 {
		return clean
	}
	sum := sha256.Sum256([]byte(lower))
	suffix := hex.EncodeToString(sum[:8])
	if clean == "" {
		clean = "repo"
	}
	return clean + "." + suffix
}

// Bounded keeps the first MaxSetStatusEntries items, for a status list, and counts the rest.
func Bounded[T any](items []T) ([]T, int32) {
	if len(items) <= civ1alpha1.MaxSetStatusEntries {
		return items, 0
	}
	return items[:civ1alpha1.MaxSetStatusEntries], int32(len(items) - civ1alpha1.MaxSetStatusEntries)
}
