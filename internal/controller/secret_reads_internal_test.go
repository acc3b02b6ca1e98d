package controller

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

// A remembered fingerprint stands for the value only while the registry's Secret, its version and the
// credentials' version are all those of the remembered read.
func TestRegistryFingerprintStandsOnlyForTheSameVersions(t *testing.T) {
	var m secretReads
	m.rememberRegistry("uid", "ghcr", registryRead{secret: "ghcr-creds", version: "10", credsVersion: "7", fingerprint: "fp"})
	m.rememberRegistry("uid", "unversioned", registryRead{secret: "s", credsVersion: "7", fingerprint: "fp"})
	for _, tc := range []struct {
		name                                    string
		uid                                     types.UID
		registry, secret, version, credsVersion string
		want                                    bool
	}{
		{"the same versions", "uid", "ghcr", "ghcr-creds", "10", "7", true},
		{"the Secret moved", "uid", "ghcr", "ghcr-creds", "11", "7", false},
		{"the credentials moved (another fingerprint key)", "uid", "ghcr", "ghcr-creds", "10", "8", false},
		{"another Secret referenced", "uid", "ghcr", "other-creds", "10", "7", false},
		{"another registry", "uid", "quay", "ghcr-creds", "10", "7", false},
		{"another pipeline", "uid2", "ghcr", "ghcr-creds", "10", "7", false},
		{"version unknown", "uid", "ghcr", "ghcr-creds", "", "7", false},
		{"credentials version unknown", "uid", "ghcr", "ghcr-creds", "10", "", false},
		{"a read without a version is not remembered", "uid", "unversioned", "s", "", "7", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp, ok := m.registryFingerprint(tc.uid, tc.registry, tc.secret, tc.version, tc.credsVersion)
			NewWithT(t).Expect(ok).To(Equal(tc.want))
			if ok {
				NewWithT(t).Expect(fp).To(Equal("fp"))
			}
		})
	}
	m.forgetRegistry("uid", "ghcr")
	_, ok := m.registryFingerprint("uid", "ghcr", "ghcr-creds", "10", "7")
	NewWithT(t).Expect(ok).To(BeFalse(), "forgotten")
	m.rememberRegistry("uid", "ghcr", registryRead{secret: "ghcr-creds", version: "10", credsVersion: "7", fingerprint: "fp"})
	m.forget("uid")
	_, ok = m.registryFingerprint("uid", "ghcr", "ghcr-creds", "10", "7")
	NewWithT(t).Expect(ok).To(BeFalse(), "the pipeline was deleted")
}

// A version the outage catch-up saw on the API server stays until the cache holds it.
func TestLiveVersionsSettleOnlyOnceCached(t *testing.T) {
	g := NewWithT(t)
	var m secretReads
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	m.sawLive(a, "20")
	m.sawLive(b, "30")
	cache := map[types.NamespacedName]string{a: "20", b: "29"}
	m.settle(func(k types.NamespacedName) string { return cache[k] })
	g.Expect(m.live).To(Equal(map[types.NamespacedName]string{b: "30"}))
}

// A rotation is pending when a remembered registry's Secret moved, is no longer known, or another Secret
// is referenced; without a remembered read (a new pipeline, a restarted manager) nothing is assumed.
func TestRegistryMoved(t *testing.T) {
	var m secretReads
	m.rememberRegistry("uid", "ghcr", registryRead{secret: "ghcr-creds", version: "10", credsVersion: "7", fingerprint: "fp"})
	for _, tc := range []struct {
		name, registry, secret, version string
		known, want                     bool
	}{
		{"unchanged", "ghcr", "ghcr-creds", "10", true, false},
		{"moved", "ghcr", "ghcr-creds", "11", true, true},
		{"not in the cache (deleted, or overruled by the outage catch-up)", "ghcr", "ghcr-creds", "", false, true},
		{"another Secret referenced", "ghcr", "other", "10", true, true},
		{"nothing remembered", "quay", "quay-creds", "3", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(m.registryMoved("uid", tc.registry, tc.secret, tc.version, tc.known)).To(Equal(tc.want))
		})
	}
}
