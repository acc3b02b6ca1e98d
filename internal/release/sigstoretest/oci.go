package sigstoretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotations as cosign v3 writes them (pkg/oci/remote/write.go, WriteAttestationNewBundleFormat).
const (
	BundleMediaType      = "application/vnd.dev.sigstore.bundle.v0.3+json"
	emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
	predicateAnnotation  = "dev.sigstore.bundle.predicateType"
)

// PushRandomImage pushes a single-platform image with one random layer to ref ("host/repo:tag") and
// returns its digest.
func PushRandomImage(ref string, opts ...remote.Option) (v1.Hash, error) {
	img, err := random.Image(512, 1)
	if err != nil {
		return v1.Hash{}, err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return img.Digest()
}

// referrer is a manifest with the OCI 1.1 artifactType field ggcr's v1.Manifest lacks.
type referrer struct {
	v1.Manifest
	ArtifactType string `json:"artifactType,omitempty"`
}

type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// Attach attaches a bundle to the image repo@subject as cosign v3 does: an OCI manifest with cosign's
// empty config, artifactType application/vnd.dev.sigstore.bundle.v0.3+json, the bundle as its one layer,
// subject set, and the dev.sigstore.bundle.predicateType annotation. Registries without the referrers API
// get the sha256-<hex> fallback tag, which ggcr maintains when the registry does not acknowledge the subject.
func Attach(repo string, subject v1.Hash, bundle []byte, predicateType string, opts ...remote.Option) error {
	r, err := name.NewRepository(repo)
	if err != nil {
		return err
	}
	subj, err := remote.Head(r.Digest(subject.String()), opts...)
	if err != nil {
		return fmt.Errorf("reading the subject %s: %w", subject, err)
	}
	cfg := static.NewLayer([]byte("{}"), emptyConfigMediaType)
	layer := static.NewLayer(bundle, BundleMediaType)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(r, l, opts...); err != nil {
			return fmt.Errorf("uploading a blob: %w", err)
		}
	}
	cfgDigest, _ := cfg.Digest()
	layerDigest, _ := layer.Digest()
	m := referrer{Manifest: v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config:  v1.Descriptor{MediaType: emptyConfigMediaType, ArtifactType: BundleMediaType, Digest: cfgDigest, Size: 2},
		Layers:  []v1.Descriptor{{MediaType: BundleMediaType, Digest: layerDigest, Size: int64(len(bundle))}},
		Subject: &v1.Descriptor{MediaType: subj.MediaType, Digest: subj.Digest, Size: subj.Size},
		Annotations: map[string]string{
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
			"dev.sigstore.bundle.content":      "dsse-envelope",
			predicateAnnotation:                predicateType,
		},
	}, ArtifactType: BundleMediaType}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	h, _, err := v1.SHA256(bytesReader(b))
	if err != nil {
		return err
	}
	return remote.Put(r.Digest(h.String()), rawManifest{b: b, mt: types.OCIManifestSchema1}, opts...)
}

// PushBuildKitIndex pushes what `docker buildx build --sbom=true` pushes: an image index with the image and
// an attestation manifest holding an unsigned SPDX in-toto statement about it. It returns the index digest.
func PushBuildKitIndex(ref string, opts ...remote.Option) (v1.Hash, error) {
	img, err := random.Image(512, 1)
	if err != nil {
		return v1.Hash{}, err
	}
	imgDigest, _ := img.Digest()
	stmt := Statement(imgDigest.String(), "https://spdx.dev/Document", map[string]any{"spdxVersion": "SPDX-2.3"})
	att, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:       static.NewLayer(stmt, InTotoPayloadType),
		Annotations: map[string]string{"in-toto.io/predicate-type": "https://spdx.dev/Document"},
	})
	if err != nil {
		return v1.Hash{}, err
	}
	att = mutate.MediaType(att, types.OCIManifestSchema1)
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": imgDigest.String(),
			},
		}},
	)
	tag, err := name.NewTag(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.WriteIndex(tag, idx, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return idx.Digest()
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
