//nolint:goconst // test tables repeat identities, paths and field names on purpose
package release

import (
	"net/http"
	"net/http/httptest"
	"testing"

	. "github.com/onsi/gomega"
)

func TestSelectTags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tags    []string
		pattern string
		newest  int
		want    []string
	}{
		{"semver newest first", []string{"v1.2.0", "v1.10.0", "v1.9.3", "latest", "v2.0.0-rc.1"}, "v*", 3, []string{"v2.0.0-rc.1", "v1.10.0", "v1.9.3"}},
		{"without a v", []string{"1.2.0", "1.10.0", "0.9"}, "", 0, []string{"1.10.0", "1.2.0", "0.9"}},
		{"mixed falls back to lexical", []string{"v1.2.0", "nightly", "v1.10.0"}, "", 0, []string{"v1.2.0", "v1.10.0", "nightly"}},
		{"artefact tags are never releases", []string{"v1", "sha256-abc.sig", "sha256-abc"}, "", 0, []string{"v1"}},
		{"pattern", []string{"v1", "release-2", "v2"}, "release-*", 0, []string{"release-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(SelectTags(tc.tags, tc.pattern, tc.newest)).To(Equal(tc.want))
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, tc := range []struct {
		p   Policy
		err string
	}{
		{Policy{Repository: "acme/app", Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/v*"}, ""},
		{Policy{Repository: "acme/app", Workflow: "acme/shared/.github/workflows/oci.yaml"}, ""},
		{Policy{Repository: "acme", Workflow: ".github/workflows/release.yml"}, "repository"},
		{Policy{Repository: "acme/app", Workflow: "release.yml"}, "workflow"},
		{Policy{Repository: "acme/app", Workflow: ".github/workflows/../../evil.yml"}, "workflow"},
		{Policy{Repository: "acme/app", Workflow: ".github/workflows/sub/x.yml"}, "workflow"},
		{Policy{Repository: "acme/app", Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/["}, "refPattern"},
	} {
		err := tc.p.Validate()
		if tc.err == "" {
			NewWithT(t).Expect(err).NotTo(HaveOccurred(), "%+v", tc.p)
		} else {
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tc.err)), "%+v", tc.p)
		}
	}
}

func TestPolicyMatch(t *testing.T) {
	p := Policy{Repository: "acme/app", Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/v*"}
	good := Signer{
		SAN: "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1", Issuer: DefaultIssuer, Ref: "refs/tags/v1",
		BuildSignerURI: "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1",
		BuildConfigURI: "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1", SourceRepositoryURI: "https://github.com/acme/app",
	}
	for _, tc := range []struct {
		name string
		edit func(*Signer)
		ok   bool
	}{
		{"the release workflow on a tag", func(*Signer) {}, true},
		{"GitHub's case of the owner", func(s *Signer) {
			s.SAN = "https://github.com/ACME/App/.github/workflows/release.yml@refs/tags/v1"
			s.BuildSignerURI, s.BuildConfigURI, s.SourceRepositoryURI = s.SAN, s.SAN, "https://github.com/ACME/App"
		}, true},
		{"Kelvin sign for k is not a case variant", func(s *Signer) {
			p := Policy{Repository: "kube/app", Workflow: ".github/workflows/release.yml"}
			s.SAN = "https://github.com/\u212aube/app/.github/workflows/release.yml@refs/tags/v1"
			s.BuildSignerURI, s.BuildConfigURI, s.SourceRepositoryURI = s.SAN, s.SAN, "https://github.com/\u212aube/app"
			if p.Match(*s) == nil {
				t.Error("a Kelvin sign matched k")
			}
			s.Issuer = "x" // make the outer check fail too
		}, false},
		{"workflow name differs in case (paths are case-sensitive)", func(s *Signer) {
			s.SAN = "https://github.com/acme/app/.github/workflows/Release.yml@refs/tags/v1"
			s.BuildSignerURI, s.BuildConfigURI = s.SAN, s.SAN
		}, false},
		{"a tag below v*", func(s *Signer) {
			s.SAN = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1/../../heads/main"
			s.BuildSignerURI, s.BuildConfigURI, s.Ref = s.SAN, s.SAN, "refs/tags/v1/../../heads/main"
		}, false},
		{"Source Repository Ref disagrees with the SAN", func(s *Signer) { s.Ref = "refs/heads/main" }, false},
		{"Build Signer URI disagrees with the SAN", func(s *Signer) {
			s.BuildSignerURI = "https://github.com/acme/app/.github/workflows/ci.yml@refs/tags/v1"
		}, false},
		{"a fork's repository", func(s *Signer) { s.SourceRepositoryURI = "https://github.com/mallory/app" }, false},
		{"a SAN on another host", func(s *Signer) {
			s.SAN = "https://github.com.evil.example/acme/app/.github/workflows/release.yml@refs/tags/v1"
			s.BuildSignerURI, s.BuildConfigURI = s.SAN, s.SAN
		}, false},
		{"another issuer", func(s *Signer) { s.Issuer = "https://token.actions.githubusercontent.com.evil" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			err := p.Match(s)
			if tc.ok {
				NewWithT(t).Expect(err).NotTo(HaveOccurred())
			} else {
				NewWithT(t).Expect(err).To(MatchError(errWrongSigner))
			}
		})
	}
}

func TestScopedTransportHosts(t *testing.T) {
	for _, tc := range []struct {
		registry, url string
		allowed       []string
		want          bool
	}{
		{"registry.acme.example", "https://registry.acme.example/v2/", nil, true},
		{"registry.acme.example", "https://auth.acme.example/token", nil, true},
		{"registry.acme.example", "https://acme.example.evil.example/token", nil, false},
		{"registry.acme.example", "http://auth.acme.example/token", nil, false},
		{"index.docker.io", "https://auth.docker.io/token", nil, true},
		{"ghcr.io", "https://auth.docker.io/token", nil, false},
		{"ghcr.io", "https://auth.docker.io/token", []string{"auth.docker.io"}, true},
		{"foo.github.io", "https://bar.github.io/token", nil, false}, // a public suffix: different owners
		{"127.0.0.1:5000", "http://127.0.0.1:5001/token", nil, false},
		{"127.0.0.1:5000", "http://127.0.0.1:5000/token", nil, true},
	} {
		st := &scopedTransport{registry: tc.registry, allowed: tc.allowed}
		req := httptest.NewRequest(http.MethodGet, tc.url, nil)
		if got := st.mayReceiveCredentials(req); got != tc.want {
			t.Errorf("registry %s, request %s, allowed %v: got %v, want %v", tc.registry, tc.url, tc.allowed, got, tc.want)
		}
	}
}
