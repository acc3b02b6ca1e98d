package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Bounds on what one verification reads, so that a hostile registry cannot make a reconcile unbounded.
const (
	// MaxTags bounds the tags listed per repository (ggcr pages through the list).
	MaxTags = 10000
	// MaxReferrers bounds the referrers examined per digest.
	MaxReferrers = 32
	// MaxBundleSize bounds one bundle (and one referrer or attestation manifest); real ones are a few KiB.
	MaxBundleSize = 1 << 20
)

// Credentials are a registry user name and password (or token) from a pull Secret. They are never logged.
type Credentials struct {
	Username, Password string
}

// RegistryOptions configure registry access for one image repository.
type RegistryOptions struct {
	// Credentials, when set, are sent to the image's registry host and allowed token realms only.
	Credentials *Credentials
	// TokenRealmHosts are hosts (host[:port]) outside the registry's registrable domain that may receive
	// the credentials as a token realm, e.g. "auth.docker.io".
	TokenRealmHosts []string
	// Transport is the base round tripper (tests: one that dials loopback); http.DefaultTransport when nil.
	Transport http.RoundTripper
	// UserAgent is sent with every request.
	UserAgent string
}

// Registry reads one image repository.
type Registry struct {
	repo     name.Repository
	opts     []remote.Option
	requests atomic.Int64
	stripped atomic.Int64
}

// NewRegistry returns a reader for an OCI repository ("registry.example/team/app", no tag or digest).
func NewRegistry(repository string, o RegistryOptions) (*Registry, error) {
	repo, err := name.NewRepository(repository, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("image repository %q: %w", repository, err)
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	r := &Registry{repo: repo}
	st := &scopedTransport{base: base, registry: strings.ToLower(repo.RegistryStr()), allowed: o.TokenRealmHosts, requests: &r.requests, stripped: &r.stripped}
	auth := authn.Anonymous
	if o.Credentials != nil {
		auth = authn.FromConfig(authn.AuthConfig{Username: o.Credentials.Username, Password: o.Credentials.Password})
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "secure-pipeline-operator"
	}
	opts := make([]remote.Option, 0, 4)
	opts = append(opts, remote.WithTransport(st), remote.WithAuth(auth), remote.WithUserAgent(ua))
	// One puller for the repository: ggcr then pings the registry and exchanges a token once, not per request.
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, fmt.Errorf("image repository %q: %w", repository, err)
	}
	r.opts = append(opts, remote.Reuse(p))
	return r, nil
}

// Repository is the repository's canonical name.
func (r *Registry) Repository() string { return r.repo.Name() }

// Requests is how many HTTP requests this reader has sent (token exchanges included).
func (r *Registry) Requests() int64 { return r.requests.Load() }

// StrippedCredentials counts requests whose credentials were withheld from a host not allowed to get them.
func (r *Registry) StrippedCredentials() int64 { return r.stripped.Load() }

func (r *Registry) with(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, r.opts...)
}

// Tags lists the repository's tags (at most MaxTags).
func (r *Registry) Tags(ctx context.Context) ([]string, error) {
	p, err := remote.NewPuller(r.with(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", r.repo.Name(), err)
	}
	l, err := p.Lister(ctx, r.repo)
	if err != nil {
		return nil, wrapRegistry(err, "listing the tags of "+r.repo.Name())
	}
	var tags []string
	for l.HasNext() && len(tags) < MaxTags {
		page, err := l.Next(ctx)
		if err != nil {
			return nil, wrapRegistry(err, "listing the tags of "+r.repo.Name())
		}
		tags = append(tags, page.Tags...)
	}
	if len(tags) > MaxTags {
		tags = tags[:MaxTags]
	}
	return tags, nil
}

// Resolve returns the digest a tag (or "@sha256:..." reference) points at, with one HEAD request.
func (r *Registry) Resolve(ctx context.Context, tagOrDigest string) (v1.Hash, error) {
	ref, err := r.ref(tagOrDigest)
	if err != nil {
		return v1.Hash{}, err
	}
	if d, ok := ref.(name.Digest); ok {
		return v1.NewHash(d.DigestStr())
	}
	desc, err := remote.Head(ref, r.with(ctx)...)
	if err != nil {
		return v1.Hash{}, wrapRegistry(err, "reading "+ref.String())
	}
	return desc.Digest, nil
}

func (r *Registry) ref(tagOrDigest string) (name.Reference, error) {
	if strings.HasPrefix(tagOrDigest, "sha256:") {
		return name.NewDigest(r.repo.Name()+"@"+tagOrDigest, name.StrictValidation)
	}
	return name.NewTag(r.repo.Name()+":"+tagOrDigest, name.StrictValidation)
}

func (r *Registry) digest(h v1.Hash) name.Digest {
	return r.repo.Digest(h.String())
}

// referrers lists the descriptors that refer to a digest: the OCI 1.1 referrers API, or the
// "sha256-<hex>" tag fallback where the registry has no such API (ggcr falls back by itself).
func (r *Registry) referrers(ctx context.Context, h v1.Hash) ([]v1.Descriptor, error) {
	idx, err := remote.Referrers(r.digest(h), r.with(ctx)...)
	if err != nil {
		return nil, wrapRegistry(err, "listing the referrers of "+r.digest(h).String())
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, wrapRegistry(err, "reading the referrers of "+r.digest(h).String())
	}
	return m.Manifests, nil
}

// manifest reads a manifest by digest, refusing one larger than MaxBundleSize.
func (r *Registry) manifest(ctx context.Context, d v1.Descriptor) (*v1.Manifest, error) {
	if d.Size > MaxBundleSize {
		return nil, fmt.Errorf("manifest %s is %d bytes, more than the %d this operator reads", d.Digest, d.Size, MaxBundleSize)
	}
	desc, err := remote.Get(r.digest(d.Digest), r.with(ctx)...)
	if err != nil {
		return nil, wrapRegistry(err, "reading manifest "+d.Digest.String())
	}
	if len(desc.Manifest) > MaxBundleSize {
		return nil, fmt.Errorf("manifest %s is larger than %d bytes", d.Digest, MaxBundleSize)
	}
	return v1.ParseManifest(strings.NewReader(string(desc.Manifest)))
}

// index reads an image index by digest, or nil when the digest is a single-platform image.
func (r *Registry) index(ctx context.Context, h v1.Hash) (*v1.IndexManifest, error) {
	desc, err := remote.Get(r.digest(h), r.with(ctx)...)
	if err != nil {
		return nil, wrapRegistry(err, "reading "+r.digest(h).String())
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil
	}
	if len(desc.Manifest) > 4*MaxBundleSize {
		return nil, fmt.Errorf("image index %s is larger than %d bytes", h, 4*MaxBundleSize)
	}
	return v1.ParseIndexManifest(strings.NewReader(string(desc.Manifest)))
}

// blob reads a blob of at most MaxBundleSize bytes and checks its digest.
func (r *Registry) blob(ctx context.Context, d v1.Descriptor) ([]byte, error) {
	if d.Size > MaxBundleSize {
		return nil, fmt.Errorf("blob %s is %d bytes, more than the %d this operator reads", d.Digest, d.Size, MaxBundleSize)
	}
	l, err := remote.Layer(r.digest(d.Digest), r.with(ctx)...)
	if err != nil {
		return nil, wrapRegistry(err, "reading blob "+d.Digest.String())
	}
	rc, err := l.Compressed() // ggcr verifies the digest while reading
	if err != nil {
		return nil, wrapRegistry(err, "reading blob "+d.Digest.String())
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(io.LimitReader(rc, MaxBundleSize+1))
	if err != nil {
		return nil, wrapRegistry(err, "reading blob "+d.Digest.String())
	}
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("blob %s is larger than %d bytes", d.Digest, MaxBundleSize)
	}
	return b, nil
}

// exists says whether a tag exists (one HEAD).
func (r *Registry) exists(ctx context.Context, tag string) (bool, error) {
	_, err := remote.Head(r.repo.Tag(tag), r.with(ctx)...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if err != nil {
		return false, wrapRegistry(err, "reading tag "+tag)
	}
	return true, nil
}

// RegistryError is a failure to read the registry, with the reason it maps to.
type RegistryError struct {
	Reason string
	Err    error
}

func (e *RegistryError) Error() string { return e.Err.Error() }
func (e *RegistryError) Unwrap() error { return e.Err }

func wrapRegistry(err error, what string) error {
	reason := ReasonRegistryUnavailable
	if terr, ok := errors.AsType[*transport.Error](err); ok {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			reason = ReasonRegistryAccessDenied
		}
	}
	return &RegistryError{Reason: reason, Err: fmt.Errorf("%s: %w", what, err)}
}

// isBundleDescriptor says whether a referrer may be a Sigstore bundle. cosign v3 sets the manifest's
// artifactType and the predicate-type annotation; registries that derive artifactType from the config
// media type instead (go-containerregistry's own, some older ones) report cosign's empty config, so those
// are read too, as cosign itself reads every referrer.
func isBundleDescriptor(d v1.Descriptor) bool {
	switch {
	case strings.HasPrefix(d.ArtifactType, "application/vnd.dev.sigstore.bundle"),
		d.Annotations[BundlePredicateTypeAnnotation] != "",
		d.ArtifactType == "", d.ArtifactType == emptyConfigMediaType:
		return true
	}
	return false
}

const emptyConfigMediaType = "application/vnd.oci.empty.v1+json"

// bundleLayer finds the bundle layer of a referrer manifest.
func bundleLayer(m *v1.Manifest) (v1.Descriptor, bool) {
	for _, l := range m.Layers {
		if strings.HasPrefix(string(l.MediaType), "application/vnd.dev.sigstore.bundle") {
			return l, true
		}
	}
	return v1.Descriptor{}, false
}
