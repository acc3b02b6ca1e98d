package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"google.golang.org/protobuf/encoding/protojson"
)

// Issuer is GitHub Actions' OIDC issuer.
const Issuer = "https://token.actions.githubusercontent.com"

// org is the organisation of the test certificate authorities' names.
const org = "sigstoretest"

// Sigstore is a certificate authority and a timestamp authority.
type Sigstore struct {
	caRoot, caInter *x509.Certificate
	caInterKey      *ecdsa.PrivateKey
	tsaRoot, tsa    *x509.Certificate
	tsaKey          *ecdsa.PrivateKey
	start           time.Time
}

// New creates a fresh test Sigstore with new keys.
func New() (*Sigstore, error) {
	s := &Sigstore{start: time.Now().Add(-time.Hour)}
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sigstoretest-root", Organization: []string{org}},
		NotBefore: s.start, NotAfter: s.start.Add(10 * 365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if s.caRoot, err = create(caTmpl, caTmpl, &rootKey.PublicKey, rootKey); err != nil {
		return nil, err
	}
	if s.caInterKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	interTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sigstoretest-intermediate", Organization: []string{org}},
		NotBefore: s.start, NotAfter: caTmpl.NotAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	if s.caInter, err = create(interTmpl, s.caRoot, &s.caInterKey.PublicKey, rootKey); err != nil {
		return nil, err
	}

	tsaRootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tsaRootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "sigstoretest-tsa-root", Organization: []string{org}},
		NotBefore: s.start, NotAfter: caTmpl.NotAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if s.tsaRoot, err = create(tsaRootTmpl, tsaRootTmpl, &tsaRootKey.PublicKey, tsaRootKey); err != nil {
		return nil, err
	}
	if s.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		return nil, err
	}
	tsaTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "sigstoretest-tsa", Organization: []string{org}},
		NotBefore: s.start, NotAfter: caTmpl.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		// RFC 3161: the timestamping EKU, critical.
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	if s.tsa, err = create(tsaTmpl, s.tsaRoot, &s.tsaKey.PublicKey, tsaRootKey); err != nil {
		return nil, err
	}
	return s, nil
}

func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("creating certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// TrustedRootJSON is the trusted_root.json for this Sigstore: its CA and its TSA, no logs.
func (s *Sigstore) TrustedRootJSON() ([]byte, error) { return s.TrustedRootJSONWith(nil) }

// TrustedRootJSONWith is the trusted root with transparency logs of another test Sigstore (sigstore-go's
// VirtualSigstore, in the test/sigstore module) besides this one's CA and TSA.
func (s *Sigstore) TrustedRootJSONWith(tlogs map[string]*root.TransparencyLog) ([]byte, error) {
	ca := &root.FulcioCertificateAuthority{
		Root: s.caRoot, Intermediates: []*x509.Certificate{s.caInter}, ValidityPeriodStart: s.start, URI: "https://fulcio.sigstoretest.invalid",
	}
	tsa := &root.SigstoreTimestampingAuthority{
		Root: s.tsaRoot, Leaf: s.tsa, ValidityPeriodStart: s.start, URI: "https://tsa.sigstoretest.invalid",
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, nil, []root.TimestampingAuthority{tsa}, tlogs)
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// Identity is what a GitHub Actions OIDC token says, as Fulcio puts it into the certificate.
type Identity struct {
	// SAN is the job_workflow_ref as a URI: https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1.
	SAN    string
	Issuer string
	// SourceRepositoryURI, SourceRepositoryRef and SourceRepositoryDigest: the repository, ref and
	// commit of the run.
	SourceRepositoryURI, SourceRepositoryRef, SourceRepositoryDigest string
	// BuildSignerURI is the SAN again; BuildConfigURI the top-level workflow (the caller, for reusable ones).
	BuildSignerURI, BuildConfigURI string
}

// GitHubWorkflow is the identity of a workflow of repo ("owner/name") run on ref.
func GitHubWorkflow(repo, workflow, ref string) Identity {
	uri := "https://github.com/" + repo + "/" + workflow + "@" + ref
	return Identity{
		SAN: uri, Issuer: Issuer, SourceRepositoryURI: "https://github.com/" + repo, SourceRepositoryRef: ref,
		SourceRepositoryDigest: fakeSHA(repo + ref), BuildSignerURI: uri, BuildConfigURI: uri,
	}
}

// ReusableWorkflow is the identity of reusable workflow reusable ("owner/repo/.github/workflows/x.yml@ref")
// called by repo's caller workflow on ref.
func ReusableWorkflow(repo, caller, ref, reusable string) Identity {
	callerURI := "https://github.com/" + repo + "/" + caller + "@" + ref
	signer := "https://github.com/" + reusable
	return Identity{
		SAN: signer, Issuer: Issuer, SourceRepositoryURI: "https://github.com/" + repo, SourceRepositoryRef: ref,
		SourceRepositoryDigest: fakeSHA(repo + ref), BuildSignerURI: signer, BuildConfigURI: callerURI,
	}
}

func fakeSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:20])
}

var (
	oidIssuerV1           = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidWorkflowTrigger    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidWorkflowSHA        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidWorkflowRepository = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidWorkflowRef        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 6}
	oidIssuerV2           = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidBuildSignerURI     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 9}
	oidBuildSignerDig     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 10}
	oidRunnerEnv          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 11}
	oidSourceRepoURI      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceRepoDigest   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRepoRef      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildConfigURI     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 18}
	oidBuildConfigDig     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 19}
	oidBuildTrigger       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}
)

// certificate issues a 10-minute certificate for key, as Fulcio does for a GitHub Actions token.
func (s *Sigstore) certificate(id Identity, pub crypto.PublicKey) (*x509.Certificate, error) {
	san, err := url.Parse(id.SAN)
	if err != nil {
		return nil, fmt.Errorf("identity %q: %w", id.SAN, err)
	}
	var exts []pkix.Extension
	add := func(oid asn1.ObjectIdentifier, v string) error {
		if v == "" {
			return nil
		}
		der, err := asn1.MarshalWithParams(v, "utf8")
		if err != nil {
			return err
		}
		exts = append(exts, pkix.Extension{Id: oid, Value: der})
		return nil
	}
	// The deprecated v1 extensions are raw strings; Fulcio still sets them, and cosign's
	// --certificate-github-workflow-* flags read them.
	for _, e := range []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{
		{oidIssuerV1, id.Issuer}, {oidWorkflowTrigger, "push"}, {oidWorkflowSHA, id.SourceRepositoryDigest},
		{oidWorkflowRepository, strings.TrimPrefix(id.SourceRepositoryURI, "https://github.com/")},
		{oidWorkflowRef, id.SourceRepositoryRef},
	} {
		if e.v != "" {
			exts = append(exts, pkix.Extension{Id: e.oid, Value: []byte(e.v)})
		}
	}
	for _, e := range []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{
		{oidIssuerV2, id.Issuer}, {oidBuildSignerURI, id.BuildSignerURI}, {oidBuildSignerDig, id.SourceRepositoryDigest},
		{oidRunnerEnv, "github-hosted"}, {oidSourceRepoURI, id.SourceRepositoryURI}, {oidSourceRepoDigest, id.SourceRepositoryDigest},
		{oidSourceRepoRef, id.SourceRepositoryRef}, {oidBuildConfigURI, id.BuildConfigURI}, {oidBuildConfigDig, id.SourceRepositoryDigest},
		{oidBuildTrigger, "push"},
	} {
		if err := add(e.oid, e.v); err != nil {
			return nil, err
		}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, NotBefore: now.Add(-time.Minute), NotAfter: now.Add(10 * time.Minute),
		URIs: []*url.URL{san}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: exts,
	}
	return create(tmpl, s.caInter, pub, s.caInterKey)
}

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Statement is an in-toto v1 statement about one sha256 digest ("sha256:<hex>" or "<hex>").
func Statement(digest, predicateType string, predicate any) []byte {
	hexDigest := digest
	if len(digest) > 7 && digest[:7] == "sha256:" {
		hexDigest = digest[7:]
	}
	if predicate == nil {
		predicate = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{"sha256": hexDigest}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	return b
}

// Signed is a DSSE signature over an in-toto statement with its certificate and signed timestamp.
type Signed struct {
	Cert            *x509.Certificate
	Payload, Sig    []byte
	SignedTimestamp []byte
}

// SignParts signs an in-toto statement as id with a fresh key and certificate and timestamps the signature.
func (s *Sigstore) SignParts(id Identity, statement []byte) (*Signed, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := s.certificate(id, &key.PublicKey)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(PAE(InTotoPayloadType, statement))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	tsr, err := s.timestamp(sig)
	if err != nil {
		return nil, err
	}
	return &Signed{Cert: cert, Payload: statement, Sig: sig, SignedTimestamp: tsr}, nil
}

// Sign signs an in-toto statement as id and returns the bundle (v0.3 JSON).
func (s *Sigstore) Sign(id Identity, statement []byte) ([]byte, error) {
	sg, err := s.SignParts(id, statement)
	if err != nil {
		return nil, err
	}
	return BundleJSON(sg.Cert.Raw, sg.SignedTimestamp, sg.Payload, sg.Sig)
}

// BundleJSON assembles a v0.3 bundle, with transparency log entries if given; tests use it to build
// tampered ones.
func BundleJSON(certDER, signedTimestamp, payload, sig []byte, tlogEntries ...*protorekor.TransparencyLogEntry) ([]byte, error) {
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: certDER}},
			TlogEntries: tlogEntries,
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: InTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	if signedTimestamp != nil {
		pb.VerificationMaterial.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: signedTimestamp}},
		}
	}
	return protojson.Marshal(pb)
}

// PAE is DSSE's pre-authentication encoding, what is actually signed.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// timestamp is the TSA's RFC 3161 response over the signature bytes.
func (s *Sigstore) timestamp(sig []byte) ([]byte, error) {
	tsq, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, err
	}
	req, err := timestamp.ParseRequest(tsq)
	if err != nil {
		return nil, err
	}
	ts := timestamp.Timestamp{
		HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now(),
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, ExtraExtensions: req.Extensions,
	}
	return ts.CreateResponseWithOpts(s.tsa, s.tsaKey, crypto.SHA256)
}
