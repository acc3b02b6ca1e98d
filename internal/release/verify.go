package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// TrustedRoot is a Sigstore trusted root (trusted_root.json): the certificate authorities that issue
// signing certificates, and the transparency logs, CT logs and timestamp authorities whose evidence counts.
type TrustedRoot struct {
	verifier *verify.Verifier
	id       string
	describe string
}

// ParseTrustedRoot reads a trusted_root.json. Verification requires what the root provides: a
// transparency log entry when it lists logs, an SCT when it lists CT logs, and one observed time (a log's
// integrated time or a timestamp authority's signed time) for the short-lived certificate.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parsing the trusted root: %w", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, errors.New("the trusted root lists no certificate authority: keyless signatures cannot verify against it")
	}
	var opts []verify.VerifierOption
	var parts []string
	if n := len(tr.RekorLogs()); n > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
		parts = append(parts, fmt.Sprintf("%d transparency log(s) (required)", n))
	}
	if n := len(tr.CTLogs()); n > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		parts = append(parts, fmt.Sprintf("%d CT log(s) (SCT required)", n))
	}
	if n := len(tr.TimestampingAuthorities()); n > 0 {
		parts = append(parts, fmt.Sprintf("%d timestamp authorit(ies)", n))
	}
	if len(tr.RekorLogs()) == 0 && len(tr.TimestampingAuthorities()) == 0 {
		return nil, errors.New("the trusted root lists neither a transparency log nor a timestamp authority: nothing could say when a short-lived certificate was used")
	}
	opts = append(opts, verify.WithObserverTimestamps(1))
	sv, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		return nil, fmt.Errorf("the trusted root: %w", err)
	}
	sum := sha256.Sum256(data)
	return &TrustedRoot{
		verifier: sv, id: hex.EncodeToString(sum[:8]),
		describe: fmt.Sprintf("%d certificate authorit(ies), %s", len(tr.FulcioCertificateAuthorities()), strings.Join(parts, ", ")),
	}, nil
}

// ID identifies the root's content in caches (a short SHA-256 of the JSON).
func (t *TrustedRoot) ID() string { return t.id }

// String describes what the root vouches for.
func (t *TrustedRoot) String() string { return t.describe }

// AttestationSource is a second source of bundles for a digest: GitHub's artifact attestations API.
type AttestationSource interface {
	// Attestations returns the Sigstore bundles (JSON) recorded for "sha256:<hex>".
	Attestations(ctx context.Context, digest string) ([][]byte, error)
}

// Result is what verifying one digest found.
type Result struct {
	Digest   string `json:"digest"`
	Verified bool   `json:"verified"`
	// Reason is ReasonVerified or why not; Message says what was seen.
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// Signer is the identity of the verified signature, or of the first wrong signer.
	Signer *Signer `json:"signer,omitempty"`
	// SBOMFormat is "SPDX" or "CycloneDX" when a signed SBOM covers the digest.
	SBOMFormat string `json:"sbomFormat,omitempty"`
	// Provenance is true when a signed SLSA provenance covers the digest.
	Provenance bool `json:"provenance,omitempty"`
	// Bundles counts the bundles examined.
	Bundles int `json:"bundles"`
	// Partial is set when a second source (GitHub's attestations) could not be read: the result stands on
	// the registry's bundles alone and must not be cached.
	Partial bool `json:"partial,omitempty"`
}

// Verifier verifies digests against a trusted root.
type Verifier struct {
	Root *TrustedRoot
	// GitHub, when set, is asked for attestations in addition to the registry's referrers.
	GitHub AttestationSource
}

// candidate is one bundle and where it came from.
type candidate struct {
	data    []byte
	source  string
	claimed string // predicate type claimed by an annotation or the unverified payload
}

// outcome of one bundle.
type bundleOutcome struct {
	claimed   string
	predicate string
	signer    *Signer
	err       error
	wrong     bool
}

// Verify checks the digest h of reg's repository against the policy. Registry failures come back as a
// Result with a registry reason and as the error, so a caller can tell them from verification failures.
func (v *Verifier) Verify(ctx context.Context, reg *Registry, h v1.Hash, p Policy) (res Result, err error) {
	res = Result{Digest: h.String()}
	if err := p.Validate(); err != nil {
		return res, err
	}
	cands, ghErr, err := v.collect(ctx, reg, h)
	if err != nil {
		return registryResult(res, err), err
	}
	res.Bundles = len(cands)
	if ghErr != nil {
		// GitHub being unreachable, or the token lacking attestations: read, must not hide a release
		// the registry's bundles verify; it is named when the result is not verified.
		res.Partial = true
		defer func() {
			if !res.Verified {
				res.Message += "; " + ghErr.Error()
			}
		}()
	}
	if len(cands) == 0 {
		res.Reason = ReasonUnsigned
		res.Message = fmt.Sprintf("no Sigstore bundle refers to the digest (OCI referrers%s)", map[bool]string{true: " or GitHub attestations", false: ""}[v.GitHub != nil])
		if legacy, err := v.legacyTags(ctx, reg, h); err != nil {
			return registryResult(res, err), err
		} else if legacy != "" {
			res.Message += fmt.Sprintf("; cosign v2's legacy signature tag %s exists, which this operator does not verify (the cosign library does not fit its dependencies): sign with cosign v3 (bundles as OCI referrers)", legacy)
		}
		return res, nil
	}

	sum := summarize(cands, func(c candidate) bundleOutcome { return v.verifyOne(c, h, p) })
	signed, wrong, invalid := sum.signed, sum.wrong, sum.invalid
	sbomSigned, provSigned, sbomClaimed := sum.sbomSigned, sum.provSigned, sum.sbomClaimed
	switch {
	case signed == nil && wrong != nil:
		res.Reason, res.Message, res.Signer = ReasonWrongSigner, wrong.err.Error(), wrong.signer
		return res, nil
	case signed == nil:
		res.Reason, res.Message = ReasonInvalidSignature, fmt.Sprintf("none of the %d bundle(s) referring to the digest verifies; first: %v", len(cands), invalid.err)
		return res, nil
	}
	res.Signer = signed.signer
	if sbomSigned != nil {
		res.SBOMFormat = SBOMFormatOf(sbomSigned.predicate)
	}
	res.Provenance = provSigned != nil
	if p.RequireSBOM && sbomSigned == nil {
		if !sbomClaimed {
			bk, err := v.buildKitSBOM(ctx, reg, h)
			if err != nil {
				return registryResult(res, err), err
			}
			sbomClaimed = bk
		}
		if sbomClaimed {
			res.Reason = ReasonSBOMUnsigned
			res.Message = fmt.Sprintf("an SBOM exists, but no signature of %s covers it (an unsigned BuildKit attestation, or an SBOM bundle that does not verify or has another signer): attest it with cosign attest or actions/attest-sbom", p.ExpectedIdentity())
		} else {
			res.Reason = ReasonSBOMMissing
			res.Message = fmt.Sprintf("signed by %s but has no SBOM attestation (SPDX or CycloneDX)", signed.signer.SAN)
		}
		return res, nil
	}
	if p.RequireProvenance && provSigned == nil {
		res.Reason = ReasonProvenanceMissing
		res.Message = fmt.Sprintf("signed by %s but no SLSA provenance attestation of that signer covers it", signed.signer.SAN)
		return res, nil
	}
	res.Verified, res.Reason = true, ReasonVerified
	res.Message = fmt.Sprintf("signed by %s on %s", signed.signer.SAN, signed.signer.Ref)
	if res.SBOMFormat != "" {
		res.Message += ", " + res.SBOMFormat + " SBOM"
	}
	if res.Provenance {
		res.Message += ", SLSA provenance"
	}
	return res, nil
}

// outcomes is what the bundles of one digest showed: the first of each kind.
type outcomes struct {
	signed, wrong, invalid *bundleOutcome
	sbomSigned, provSigned *bundleOutcome
	// sbomClaimed: some bundle says it is an SBOM, verified or not.
	sbomClaimed bool
}

func summarize(cands []candidate, check func(candidate) bundleOutcome) outcomes {
	var sum outcomes
	first := func(dst **bundleOutcome, o *bundleOutcome) {
		if *dst == nil {
			*dst = o
		}
	}
	for _, c := range cands {
		o := check(c)
		if SBOMFormatOf(o.claimed) != "" || SBOMFormatOf(o.predicate) != "" {
			sum.sbomClaimed = true
		}
		switch {
		case o.err == nil:
			first(&sum.signed, &o)
			if SBOMFormatOf(o.predicate) != "" {
				first(&sum.sbomSigned, &o)
			}
			if IsProvenance(o.predicate) {
				first(&sum.provSigned, &o)
			}
		case o.wrong:
			first(&sum.wrong, &o)
		default:
			first(&sum.invalid, &o)
		}
	}
	return sum
}

func registryResult(res Result, err error) Result {
	res.Reason = ReasonRegistryUnavailable
	if re, ok := errors.AsType[*RegistryError](err); ok {
		res.Reason = re.Reason
	}
	res.Message = err.Error()
	return res
}

// collect gathers the bundles for a digest from the registry's referrers and, if configured, GitHub. A
// failure to read GitHub is returned apart (ghErr): the registry's bundles still count.
func (v *Verifier) collect(ctx context.Context, reg *Registry, h v1.Hash) (out []candidate, ghErr, err error) {
	refs, err := reg.referrers(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range refs {
		if len(out) >= MaxReferrers {
			break
		}
		if !isBundleDescriptor(d) {
			continue
		}
		m, err := reg.manifest(ctx, d)
		if err != nil {
			// One unreadable referrer is that referrer's problem, unless the registry itself failed.
			var re *RegistryError
			if errors.As(err, &re) && re.Reason == ReasonRegistryUnavailable {
				return nil, nil, err
			}
			continue
		}
		l, ok := bundleLayer(m)
		if !ok {
			continue
		}
		b, err := reg.blob(ctx, l)
		if err != nil {
			var re *RegistryError
			if errors.As(err, &re) && re.Reason == ReasonRegistryUnavailable {
				return nil, nil, err
			}
			continue
		}
		out = append(out, candidate{data: b, source: "referrer " + d.Digest.String(), claimed: d.Annotations[BundlePredicateTypeAnnotation]})
	}
	if v.GitHub != nil {
		bs, err := v.GitHub.Attestations(ctx, h.String())
		if err != nil {
			return out, fmt.Errorf("GitHub's artifact attestations could not be read: %w", err), nil
		}
		for i, b := range bs {
			if len(out) >= 2*MaxReferrers {
				break
			}
			if len(b) <= MaxBundleSize {
				out = append(out, candidate{data: b, source: fmt.Sprintf("GitHub attestation %d", i)})
			}
		}
	}
	return out, nil, nil
}

func (v *Verifier) verifyOne(c candidate, h v1.Hash, p Policy) bundleOutcome {
	o := bundleOutcome{claimed: c.claimed}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(c.data); err != nil {
		o.err = fmt.Errorf("%s: not a Sigstore bundle: %w", c.source, err)
		return o
	}
	if o.claimed == "" {
		o.claimed = claimedPredicate(&b)
	}
	if b.GetDsseEnvelope() == nil {
		o.err = fmt.Errorf("%s: a message-signature bundle, not a DSSE attestation about the image digest", c.source)
		return o
	}
	digest, _ := hex.DecodeString(h.Hex)
	vr, err := v.Root.verifier.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest(h.Algorithm, digest), verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		o.err = fmt.Errorf("%w (%s)", err, c.source)
		return o
	}
	if vr.Signature == nil || vr.Signature.Certificate == nil {
		o.err = fmt.Errorf("%s: signed with a key, not a keyless certificate", c.source)
		return o
	}
	s := signerOf(*vr.Signature.Certificate)
	o.signer = &s
	if vr.Statement != nil {
		o.predicate = vr.Statement.PredicateType
	}
	if err := p.Match(s); err != nil {
		o.err, o.wrong = fmt.Errorf("%w (%s)", err, c.source), true
	}
	return o
}

// claimedPredicate reads the predicate type from an unverified DSSE payload, only to tell an SBOM that
// does not verify from no SBOM at all.
func claimedPredicate(b *bundle.Bundle) string {
	env := b.GetDsseEnvelope()
	if env == nil {
		return ""
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(env.GetPayload(), &st) != nil {
		return ""
	}
	return st.PredicateType
}

// legacyTags returns cosign v2's signature or attestation tag for the digest when one exists.
func (v *Verifier) legacyTags(ctx context.Context, reg *Registry, h v1.Hash) (string, error) {
	for _, suffix := range []string{".sig", ".att"} {
		tag := h.Algorithm + "-" + h.Hex + suffix
		ok, err := reg.exists(ctx, tag)
		if err != nil {
			var re *RegistryError
			if errors.As(err, &re) && re.Reason == ReasonRegistryAccessDenied {
				continue
			}
			return "", err
		}
		if ok {
			return tag, nil
		}
	}
	return "", nil
}

// buildKitSBOM says whether the image index holds a BuildKit attestation manifest with an SBOM for one of
// its images: BuildKit's SBOMs are unsigned in-toto statements, which no signature covers.
func (v *Verifier) buildKitSBOM(ctx context.Context, reg *Registry, h v1.Hash) (bool, error) {
	idx, err := reg.index(ctx, h)
	if err != nil || idx == nil {
		return false, err
	}
	for i, d := range idx.Manifests {
		if i >= MaxReferrers {
			break
		}
		if d.Annotations[buildKitReferenceType] != buildKitAttestation {
			continue
		}
		m, err := reg.manifest(ctx, d)
		if err != nil {
			continue
		}
		for _, l := range m.Layers {
			if SBOMFormatOf(l.Annotations[inTotoPredicateTypeAnn]) != "" {
				return true, nil
			}
		}
	}
	return false, nil
}
