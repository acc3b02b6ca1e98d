package controller

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/internal/registry"
)

func TestFingerprints(t *testing.T) {
	g := NewWithT(t)
	k1 := deriveFingerprintKey("ghp_token1", nil, "uid-1")
	g.Expect(k1).To(HaveLen(32))
	g.Expect(deriveFingerprintKey("ghp_token1", nil, "uid-2")).NotTo(Equal(k1), "per pipeline")
	g.Expect(deriveFingerprintKey("ghp_token2", nil, "uid-1")).NotTo(Equal(k1), "per credentials")
	g.Expect(deriveFingerprintKey("", []byte("-----BEGIN RSA PRIVATE KEY-----"), "uid-1")).NotTo(Equal(k1))

	type cred = struct{ u, p string }
	fp := func(key []byte, c cred) string {
		return fingerprintOf(key, registry.Credential{Username: c.u, Password: c.p})
	}
	a := fp(k1, cred{"bot", "secret"})
	g.Expect(a).To(MatchRegexp(`^hmac-sha256:[0-9a-f]{8}:[0-9a-f]{64}$`))
	g.Expect(fp(k1, cred{"bot", "secret"})).To(Equal(a), "deterministic")
	g.Expect(fp(k1, cred{"bot", "secreT"})).NotTo(Equal(a))
	g.Expect(fp(k1, cred{"bo", "tsecret"})).NotTo(Equal(a), "length-prefixed")
	k2 := deriveFingerprintKey("ghp_token2", nil, "uid-1")
	b := fp(k2, cred{"bot", "secret"})
	g.Expect(b).NotTo(Equal(a), "keyed")
	g.Expect(fingerprintKeyID(a)).To(Equal(fingerprintKeyID(fp(k1, cred{"x", "y"}))), "the key id depends on the key only")
	g.Expect(fingerprintKeyID(a)).NotTo(Equal(fingerprintKeyID(b)))
	g.Expect(strings.Contains(a, "secret")).To(BeFalse())
	g.Expect(fingerprintKeyID("")).To(BeEmpty())
	g.Expect(fingerprintKeyID("sha256:abc")).To(BeEmpty())
}
