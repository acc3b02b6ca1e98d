package controller_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A GitHub App installation authenticates end to end: the operator mints an installation token with the
// App's key and uses it for every call.
func TestGitHubAppAuthentication(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	g.Expect(err).NotTo(HaveOccurred())
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	g.Expect(err).NotTo(HaveOccurred())
	sim.AddApp(4242, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	sim.AddInstallation(4242, 777, "acme/web")

	ns := newNamespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"}, Data: map[string][]byte{
		"appID":          []byte("4242"),
		"installationID": []byte("777"),
		"privateKey":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
	}})
	p := pipeline(ns, "web", sim)
	create(t, p)
	waitReady(t, client.ObjectKeyFromObject(p))

	var minted, withInstallationToken int
	for _, r := range sim.Requests() {
		switch {
		case r.Route == "POST /app/installations/{installation_id}/access_tokens":
			minted++
		case strings.HasPrefix(r.Route, "GET /repos/") || strings.HasPrefix(r.Route, "PUT /repos/"):
			g.Expect(r.Token).To(HavePrefix("ghs_"), "%s used %q, not an installation token", r.Route, r.Token)
			withInstallationToken++
		}
	}
	g.Expect(minted).To(Equal(1))
	g.Expect(withInstallationToken).To(BeNumerically(">", 3))
	_, ok := sim.Environment("acme", "web", "production")
	g.Expect(ok).To(BeTrue())
}
