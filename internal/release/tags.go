package release

import (
	"path"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// SelectTags returns the tags matching a glob pattern (path.Match; empty matches all), newest first: by
// semantic version when every matching tag is one (a leading "v" optional), else in reverse lexical order;
// at most newest of them (0: all).
func SelectTags(tags []string, pattern string, newest int) []string {
	var out []string
	allSemver := true
	for _, t := range tags {
		if pattern != "" {
			if ok, _ := path.Match(pattern, t); !ok {
				continue
			}
		}
		// Referrers-tag fallbacks and cosign v2's signature tags are artefacts, never releases.
		if strings.HasPrefix(t, "sha256-") {
			continue
		}
		out = append(out, t)
		if !semver.IsValid(asSemver(t)) {
			allSemver = false
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if allSemver {
			if c := semver.Compare(asSemver(b), asSemver(a)); c != 0 {
				return c
			}
		}
		return strings.Compare(b, a)
	})
	if newest > 0 && len(out) > newest {
		out = out[:newest]
	}
	return out
}

func asSemver(t string) string {
	if strings.HasPrefix(t, "v") {
		return t
	}
	return "v" + t
}
