package controller

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// An unchanged resync reads no Secret. Every resync used to read two Secrets uncached (the GitHub
// credentials and each registry's), which cost the API server several times the manager's own CPU once
// the fleet grew. A Secret's data cannot change without its resourceVersion moving, and the manager
// watches Secrets' metadata, so a read is skipped when the version in the metadata cache is the one last
// read:
//   - the GitHub credentials Secret, when the client factory holds a client built from that version
//     (githubapi.Factory.Cached); the credentials themselves are then read only if the fingerprint key is
//     needed, that is if a registry's Secret must be read after all;
//   - a registry's Secret, when its version and the credentials' version (the fingerprint key derives
//     from them) are those of the last read that ended with the credential on GitHub (pushed, or found
//     there as it is): the fingerprint remembered then stands for the value. Should the credential need
//     pushing for another reason (a secret changed or deleted on GitHub), the Secret is read for the value.
//
// What is remembered is versions and fingerprints (status.registries holds the same fingerprints), never
// a value.
//
// The metadata cache may lag the API server. After an ordinary change the watch delivers the new version
// and a reconcile follows, so a resync that ran a moment before with the old version loses nothing. After
// an API-server outage the watch may stay away for a minute (outage.go): the catch-up then lists the
// Secrets' metadata uncached, and the versions it saw on the API server (live) overrule the cache's until
// the cache holds them, so the catch-up's reconcile reads the changed Secret instead of skipping it.

// MetricSecretReads counts the reads of referenced Secrets, by kind of Secret and whether the read was
// made or skipped because the Secret's version had not moved.
const MetricSecretReads = "securepipeline_secret_reads_total"

var secretReadsTotal = func() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricSecretReads,
		Help: "Reads of the Secrets pipelines reference (kind: github-credentials or registry), made uncached (result=read) or skipped because the Secret's resourceVersion had not moved since the last read (result=skipped).",
	}, []string{"kind", "result"})
	ctrlmetrics.Registry.MustRegister(c)
	return c
}()

const (
	secretKindGitHub   = "github-credentials"
	secretKindRegistry = "registry"
)

// secretReads is the reconciler's memory of Secret versions; the zero value is ready.
type secretReads struct {
	mu sync.Mutex
	// live are versions the outage catch-up saw on the API server, which the cache may not hold yet.
	live map[types.NamespacedName]string
	// registries: per pipeline and registry name, the last read that ended with the credential on GitHub
	// (one flat map: a thousand pipelines' inner maps cost more than their entries).
	registries map[registryKey]registryRead
}

type registryKey struct {
	uid      types.UID
	registry string
}

// registryRead is one registry's last read.
type registryRead struct {
	secret, version, credsVersion, fingerprint string
}

// cachedSecretVersion returns the resourceVersion of a Secret as far as the manager knows it: the
// metadata cache's, unless the outage catch-up saw another on the API server. ok is false when the
// version is not known (not cached, or overruled).
func (r *SecurePipelineReconciler) cachedSecretVersion(ctx context.Context, key types.NamespacedName) (string, bool) {
	// The manager's cache itself: its client reads Secrets uncached, metadata too.
	if r.secretCache == nil {
		return "", false
	}
	version := secretVersionIn(ctx, r.secretCache, key)
	if version == "" {
		return "", false
	}
	m := &r.secretReads
	m.mu.Lock()
	defer m.mu.Unlock()
	if live, ok := m.live[key]; ok && live != version {
		return "", false
	}
	return version, true
}

// secretMetadata is an empty Secret as metadata only, the form the manager caches Secrets in.
func secretMetadata() *metav1.PartialObjectMetadata {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return meta
}

// secretVersionIn is a Secret's resourceVersion in the metadata cache ("" if it has none).
func secretVersionIn(ctx context.Context, cache client.Reader, key types.NamespacedName) string {
	meta := secretMetadata()
	if err := cache.Get(ctx, key, meta); err != nil {
		return ""
	}
	return meta.ResourceVersion
}

// sawLive records a Secret version the outage catch-up read from the API server.
func (m *secretReads) sawLive(key types.NamespacedName, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		m.live = map[types.NamespacedName]string{}
	}
	m.live[key] = version
}

// settle forgets the live versions the cache now holds (cached returns a Secret's cached version).
// Versions the cache never caught up with stay: they only cost reads.
func (m *secretReads) settle(cached func(types.NamespacedName) string) {
	m.mu.Lock()
	keys := make([]types.NamespacedName, 0, len(m.live))
	for k := range m.live {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		have := cached(k)
		m.mu.Lock()
		if m.live[k] == have {
			delete(m.live, k)
		}
		m.mu.Unlock()
	}
}

// registryFingerprint returns the fingerprint of the registry's credential remembered from its last
// read, if the Secret and the credentials' versions are still the ones of that read.
func (m *secretReads) registryFingerprint(uid types.UID, registry, secret, version, credsVersion string) (string, bool) {
	if version == "" || credsVersion == "" {
		return "", false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.registries[registryKey{uid, registry}]
	if !ok || last.secret != secret || last.version != version || last.credsVersion != credsVersion {
		return "", false
	}
	return last.fingerprint, true
}

// registryMoved says whether a registry's Secret has moved (or is unknown) since a remembered read: a
// rotation is probably due. Without a remembered read (a new pipeline, a restarted manager) it says no.
func (m *secretReads) registryMoved(uid types.UID, registry, secret, version string, known bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.registries[registryKey{uid, registry}]
	return ok && (!known || last.secret != secret || last.version != version)
}

// rememberRegistry records a read of a registry's Secret that ended with the credential on GitHub.
func (m *secretReads) rememberRegistry(uid types.UID, registry string, read registryRead) {
	if read.version == "" || read.credsVersion == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.registries == nil {
		m.registries = map[registryKey]registryRead{}
	}
	m.registries[registryKey{uid, registry}] = read
}

// forgetRegistry drops a registry's memory (its read did not end with the credential on GitHub).
func (m *secretReads) forgetRegistry(uid types.UID, registry string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.registries, registryKey{uid, registry})
}

// forget drops a deleted pipeline's memory.
func (m *secretReads) forget(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.registries {
		if k.uid == uid {
			delete(m.registries, k)
		}
	}
}

// countSecretRead counts one read of a Secret of kind, made or skipped.
func countSecretRead(kind string, skipped bool) {
	result := "read"
	if skipped {
		result = "skipped"
	}
	secretReadsTotal.WithLabelValues(kind, result).Inc()
}
