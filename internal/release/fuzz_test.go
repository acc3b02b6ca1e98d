//nolint:goconst // identities repeat on purpose
package release

import (
	"path"
	"strings"
	"testing"
)

// FuzzPolicyMatch feeds certificate identities (what a hostile certificate could carry) to the policy: a
// match must always be the release workflow of acme/app, on a tag matching v*, from GitHub's issuer.
func FuzzPolicyMatch(f *testing.F) {
	const good = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
	f.Add(good, DefaultIssuer, "https://github.com/acme/app", "refs/tags/v1", good, good)
	f.Add("https://github.com/ACME/App/.github/workflows/release.yml@refs/tags/v1", DefaultIssuer, "https://github.com/Acme/app",
		"refs/tags/v1", "", "")
	f.Add("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", DefaultIssuer, "https://github.com/acme/app",
		"refs/heads/main", "", "")
	f.Add("https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1@x", DefaultIssuer,
		"https://github.com/acme/app", "", "", "")
	p := Policy{Repository: "acme/app", Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/v*"}
	f.Fuzz(func(t *testing.T, san, issuer, source, ref, signer, config string) {
		s := Signer{SAN: san, Issuer: issuer, SourceRepositoryURI: source, Ref: ref, BuildSignerURI: signer, BuildConfigURI: config}
		if p.Match(s) != nil {
			return
		}
		i := strings.LastIndex(san, "@")
		if i < 0 {
			t.Fatalf("matched an identity without a ref: %q", san)
		}
		wf, r := san[:i], san[i+1:]
		// Owner and repository compare as GitHub compares them (ASCII case), the path exactly.
		if !asciiEqualFold(wf, "https://github.com/acme/app/.github/workflows/release.yml") ||
			!strings.HasSuffix(wf, "/.github/workflows/release.yml") || !strings.HasPrefix(wf, "https://github.com/") {
			t.Fatalf("matched another workflow: %q", san)
		}
		if m, _ := path.Match("refs/tags/v*", r); !m {
			t.Fatalf("matched ref %q", r)
		}
		if issuer != DefaultIssuer {
			t.Fatalf("matched issuer %q", issuer)
		}
		if !asciiEqualFold(source, "https://github.com/acme/app") {
			t.Fatalf("matched source repository %q", source)
		}
	})
}

// FuzzSelectTags: whatever a registry lists, the selection is a bounded subset of it, without artefact tags.
func FuzzSelectTags(f *testing.F) {
	f.Add("v1.0.0\nv1.10.0\nlatest\nsha256-abc.sig", "v*", 2)
	f.Add("1.2\n1.10\n", "", 0)
	f.Fuzz(func(t *testing.T, list, pattern string, newest int) {
		tags := strings.Split(list, "\n")
		got := SelectTags(tags, pattern, newest)
		if newest > 0 && len(got) > newest {
			t.Fatalf("%d tags selected, newest is %d", len(got), newest)
		}
		in := map[string]bool{}
		for _, tag := range tags {
			in[tag] = true
		}
		for _, tag := range got {
			if !in[tag] || strings.HasPrefix(tag, "sha256-") {
				t.Fatalf("selected %q from %q", tag, tags)
			}
		}
	})
}
