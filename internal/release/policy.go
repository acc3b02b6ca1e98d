package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// DefaultIssuer is GitHub Actions' OIDC issuer, the default expected certificate issuer.
const DefaultIssuer = "https://token.actions.githubusercontent.com"

// Policy says who must have signed a release and what it must carry.
type Policy struct {
	// Repository is the GitHub repository that publishes the images, "owner/name".
	Repository string
	// Workflow is the signing workflow: a path under .github/workflows/ of Repository, or a reusable
	// workflow in another repository, "owner/repo/.github/workflows/x.yml".
	Workflow string
	// RefPattern is a glob (path.Match) the git ref that triggered the signing run must match, e.g.
	// "refs/tags/v*". Empty means any ref.
	RefPattern string
	// Issuer is the expected OIDC issuer, DefaultIssuer when empty.
	Issuer string
	// RequireSBOM and RequireProvenance make a missing SBOM or SLSA provenance attestation a failure.
	RequireSBOM       bool
	RequireProvenance bool
}

// Validate checks the policy's fields; errors name the field.
func (p Policy) Validate() error {
	owner, name, ok := strings.Cut(p.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("repository %q: must be owner/name", p.Repository)
	}
	if _, _, err := p.splitWorkflow(); err != nil {
		return err
	}
	if p.RefPattern != "" {
		if _, err := path.Match(p.RefPattern, "refs/tags/v1"); err != nil {
			return fmt.Errorf("refPattern %q: %w", p.RefPattern, err)
		}
	}
	return nil
}

// splitWorkflow returns the repository that holds the signing workflow and its path.
func (p Policy) splitWorkflow() (repo, file string, err error) {
	w := p.Workflow
	if strings.HasPrefix(w, ".github/workflows/") {
		repo, file = p.Repository, w
	} else {
		parts := strings.SplitN(w, "/", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], ".github/workflows/") {
			return "", "", fmt.Errorf("workflow %q: must be a path under .github/workflows/, or owner/repo/.github/workflows/file for a reusable workflow", w)
		}
		repo, file = parts[0]+"/"+parts[1], parts[2]
	}
	base := strings.TrimPrefix(file, ".github/workflows/")
	if base == "" || strings.Contains(base, "/") || strings.Contains(base, "..") || (!strings.HasSuffix(base, ".yml") && !strings.HasSuffix(base, ".yaml")) {
		return "", "", fmt.Errorf("workflow %q: must name a .yml or .yaml file directly under .github/workflows/", w)
	}
	return repo, file, nil
}

// Reusable says whether the signing workflow lives in another repository than the one publishing.
func (p Policy) Reusable() bool {
	repo, _, err := p.splitWorkflow()
	return err == nil && !asciiEqualFold(repo, p.Repository)
}

func (p Policy) issuer() string {
	if p.Issuer == "" {
		return DefaultIssuer
	}
	return p.Issuer
}

// Key identifies the policy in result caches: a change of any field re-verifies.
func (p Policy) Key() string {
	h := sha256.Sum256([]byte(strings.Join([]string{strings.ToLower(p.Repository), p.Workflow, p.RefPattern, p.issuer(),
		fmt.Sprint(p.RequireSBOM), fmt.Sprint(p.RequireProvenance)}, "\x00")))
	return hex.EncodeToString(h[:8])
}

// ExpectedIdentity describes the expected signer for messages.
func (p Policy) ExpectedIdentity() string {
	repo, file, _ := p.splitWorkflow()
	ref := p.RefPattern
	if ref == "" {
		ref = "*"
	}
	if p.Reusable() {
		return fmt.Sprintf("https://github.com/%s/%s@* called from https://github.com/%s on %s (issuer %s)", repo, file, p.Repository, ref, p.issuer())
	}
	return fmt.Sprintf("https://github.com/%s/%s@%s (issuer %s)", repo, file, ref, p.issuer())
}

// Signer is the identity a verified certificate carries.
type Signer struct {
	// SAN is the certificate's subject alternative name (the signing workflow's URI and ref).
	SAN string `json:"san"`
	// Issuer is the OIDC issuer from the certificate's extension.
	Issuer string `json:"issuer"`
	// Ref is the git ref the run was triggered for (Source Repository Ref).
	Ref string `json:"ref,omitempty"`
	// WorkflowSHA is the commit the run built (Source Repository Digest).
	WorkflowSHA string `json:"workflowSHA,omitempty"`
	// BuildSignerURI and BuildConfigURI are the signing and the top-level (calling) workflow.
	BuildSignerURI string `json:"buildSignerURI,omitempty"`
	BuildConfigURI string `json:"buildConfigURI,omitempty"`
	// SourceRepositoryURI is the repository the run belonged to.
	SourceRepositoryURI string `json:"sourceRepositoryURI,omitempty"`
}

func signerOf(s certificate.Summary) Signer {
	return Signer{
		SAN: s.SubjectAlternativeName, Issuer: s.Issuer, Ref: s.SourceRepositoryRef, WorkflowSHA: s.SourceRepositoryDigest,
		BuildSignerURI: s.BuildSignerURI, BuildConfigURI: s.BuildConfigURI, SourceRepositoryURI: s.SourceRepositoryURI,
	}
}

var errWrongSigner = errors.New("not the expected signer")

// Match checks a verified certificate's identity against the policy. GitHub compares owner and repository
// names case-insensitively (ASCII only); workflow paths and refs are compared exactly, so URL aliases
// ("./", "..", percent-encoding, a look-alike repository prefix) never match.
func (p Policy) Match(s Signer) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s; expected %s", errWrongSigner, fmt.Sprintf(format, a...), p.ExpectedIdentity())
	}
	if s.Issuer != p.issuer() {
		return fail("certificate of %s issued for OIDC issuer %q", s.SAN, s.Issuer)
	}
	repo, file, err := p.splitWorkflow()
	if err != nil {
		return err
	}
	wantSource := "https://github.com/" + p.Repository
	if !asciiEqualFold(s.SourceRepositoryURI, wantSource) {
		return fail("signed in repository %q", s.SourceRepositoryURI)
	}
	signerWorkflow, signerRef, ok := splitWorkflowURI(s.SAN)
	if !ok {
		return fail("certificate identity %q is not a GitHub workflow URI", s.SAN)
	}
	if !workflowURIEqual(signerWorkflow, "https://github.com/"+repo+"/"+file) {
		return fail("signed by workflow %s", s.SAN)
	}
	// Build Signer URI is the same job_workflow_ref as the SAN; a certificate where they differ is not one
	// Fulcio issues for GitHub.
	if s.BuildSignerURI != "" && s.BuildSignerURI != s.SAN {
		return fail("Build Signer URI %q differs from the identity %q", s.BuildSignerURI, s.SAN)
	}
	// The ref the release was made from: for a workflow of this repository the SAN's ref; for a reusable
	// workflow the caller's (Build Config URI, this repository's workflow), as the reusable workflow's own ref
	// is its version, not the release's.
	ref := signerRef
	if p.Reusable() {
		caller, callerRef, ok := splitWorkflowURI(s.BuildConfigURI)
		if !ok || !hasRepoPrefixFold(caller, wantSource+"/.github/workflows/") {
			return fail("reusable workflow %s called from %q, not from a workflow of %s", s.SAN, s.BuildConfigURI, p.Repository)
		}
		ref = callerRef
	} else if s.BuildConfigURI != "" && s.BuildConfigURI != s.SAN {
		return fail("Build Config URI %q differs from the identity %q", s.BuildConfigURI, s.SAN)
	}
	if s.Ref != "" && s.Ref != ref {
		return fail("Source Repository Ref %q differs from the workflow ref %q", s.Ref, ref)
	}
	if p.RefPattern != "" {
		if ok, _ := path.Match(p.RefPattern, ref); !ok {
			return fail("signed on ref %q, which does not match %q", ref, p.RefPattern)
		}
	}
	return nil
}

// splitWorkflowURI splits "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1" at its last "@".
func splitWorkflowURI(u string) (workflow, ref string, ok bool) {
	i := strings.LastIndex(u, "@")
	if i < 0 || !strings.HasPrefix(u, "https://github.com/") {
		return "", "", false
	}
	return u[:i], u[i+1:], true
}

// workflowURIEqual compares https://github.com/owner/repo/path: owner and repo ASCII-case-insensitively,
// the path exactly.
func workflowURIEqual(a, b string) bool {
	ra, pa, oka := splitRepoPath(a)
	rb, pb, okb := splitRepoPath(b)
	return oka && okb && asciiEqualFold(ra, rb) && pa == pb
}

func hasRepoPrefixFold(u, prefix string) bool {
	ru, pu, oku := splitRepoPath(u)
	rp, pp, okp := splitRepoPath(prefix)
	return oku && okp && asciiEqualFold(ru, rp) && strings.HasPrefix(pu, pp) && !strings.Contains(pu[len(pp):], "/")
}

func splitRepoPath(u string) (repo, rest string, ok bool) {
	t, found := strings.CutPrefix(u, "https://github.com/")
	if !found {
		return "", "", false
	}
	parts := strings.SplitN(t, "/", 3)
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[0] + "/" + parts[1], parts[2], true
}

// asciiEqualFold is strings.EqualFold for ASCII only: Unicode folding would let "K" (U+212A KELVIN SIGN)
// stand for "k" in a repository name.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
