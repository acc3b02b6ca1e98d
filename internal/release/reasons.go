package release

// Reasons say why a release is not verified. They are the ReleasesVerified condition's reasons too
// (api/v1alpha1 declares the same strings), so a CLI user and a status reader see one vocabulary.
const (
	// ReasonVerified: a bundle signed by the expected signer covers the digest, and the SBOM and provenance
	// the policy requires are present and signed by the same signer.
	ReasonVerified = "Verified"
	// ReasonUnsigned: no Sigstore bundle refers to the digest at all.
	ReasonUnsigned = "Unsigned"
	// ReasonWrongSigner: bundles verify against the trusted root, but none was signed by the expected
	// workflow, ref and issuer.
	ReasonWrongSigner = "WrongSigner"
	// ReasonSBOMMissing: signed, but no SBOM attestation exists (signed or not).
	ReasonSBOMMissing = "SBOMMissing"
	// ReasonSBOMUnsigned: an SBOM exists (e.g. BuildKit's attestation manifest, or a bundle that does not
	// verify or has another signer) but no signature of the expected signer covers it.
	ReasonSBOMUnsigned = "SBOMUnsigned"
	// ReasonProvenanceMissing: no SLSA provenance attestation of the expected signer covers the digest.
	ReasonProvenanceMissing = "ProvenanceMissing"
	// ReasonInvalidSignature: bundles refer to the digest but none verifies: a tampered payload, a
	// signature over another digest, a certificate or timestamp the trusted root does not vouch for.
	ReasonInvalidSignature = "InvalidSignature"
	// ReasonRegistryUnavailable: the registry could not be read (network, 5xx, malformed response).
	ReasonRegistryUnavailable = "RegistryUnavailable"
	// ReasonRegistryAccessDenied: the registry refused the request (401/403), or the tag does not exist.
	ReasonRegistryAccessDenied = "RegistryAccessDenied"
)

// Predicate types of the in-toto statements this package recognises.
const (
	// CosignSignPredicateType is what `cosign sign` (v3, bundle format) signs: a statement about the digest
	// with an empty predicate.
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	spdxPredicatePrefix     = "https://spdx.dev/Document"
	cyclonedxPredicatePref  = "https://cyclonedx.org/bom"
	slsaPredicatePrefix     = "https://slsa.dev/provenance/"
)

// OCI media types and annotations of the artefacts this package reads.
const (
	// BundleMediaType is the artifact type (and layer media type) of a Sigstore bundle attached by cosign v3.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// BundlePredicateTypeAnnotation tells cosign's signature and attestation referrers apart before they are
	// read. It is unauthenticated: this package trusts only the verified statement inside the bundle.
	BundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType"
	// BuildKit attaches its (unsigned) SBOM and provenance as an attestation manifest in the image index.
	buildKitReferenceType   = "vnd.docker.reference.type"
	buildKitReferenceDigest = "vnd.docker.reference.digest"
	buildKitAttestation     = "attestation-manifest"
	inTotoPredicateTypeAnn  = "in-toto.io/predicate-type"
)

// SBOMFormatOf names the SBOM format of a predicate type, "" when it is not an SBOM.
func SBOMFormatOf(predicateType string) string {
	switch {
	case hasPrefixPath(predicateType, spdxPredicatePrefix):
		return "SPDX"
	case hasPrefixPath(predicateType, cyclonedxPredicatePref):
		return "CycloneDX"
	}
	return ""
}

// IsProvenance says whether a predicate type is an SLSA provenance.
func IsProvenance(predicateType string) bool {
	return len(predicateType) > len(slsaPredicatePrefix) && predicateType[:len(slsaPredicatePrefix)] == slsaPredicatePrefix
}

// hasPrefixPath matches a URI prefix exactly or followed by "/" (".../Document/v2.3"), so that
// "https://spdx.dev/Documentary" is not an SBOM.
func hasPrefixPath(s, prefix string) bool {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return false
	}
	return len(s) == len(prefix) || s[len(prefix)] == '/'
}
