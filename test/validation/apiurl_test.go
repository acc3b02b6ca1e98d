package validation

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// The API server refuses exactly the spec.github.apiURL values the controller refuses (ParseServer, for
// objects stored before a rule existed), with the same message: aliases of one server (a query, a
// fragment, user info, percent-encoding, IP look-alikes) and plain http to anything but a literal
// loopback address or localhost.
func TestAPIURLAdmission(t *testing.T) {
	for _, raw := range []string{
		// accepted
		"https://api.github.com/",
		"https://github.example.com/api/v3",
		"HTTPS://GitHub.Example.COM:443//api/./v3/",
		"http://127.0.0.1:8090/",
		"http://127.8.9.10:8090/",
		"http://localhost:8090/",
		"http://LOCALHOST:8090/",
		"http://[::1]:8090/",
		"https://[2001:db8::1]/",
		// refused
		"https://api.github.com/?x",
		"https://api.github.com/?",
		"https://api.github.com/#frag",
		"https://user:pw@api.github.com/",
		"https://tok@api.github.com/",
		"https://api.github.com/%61pi/",
		"https://api.github.com/ ",
		"https://api.github.com\\@evil/",
		"https://gіthub.example/",
		"https://2130706433/",
		"http://127.1:8090/",
		"http://0x7f.1/",
		"https://example.com:65536/",
		"https://example.com/a<b/",
		"ftp://example.com/",
		"github",
		"http://github.example.com/",
		"http://127.evil.example/",
		"http://127.0.0.1.nip.io/",
		"http://localhost.:8090/",
		"http://0.0.0.0:8090/",
		"http://10.0.0.1/",
		"http://[::ffff:127.0.0.1]:8090/",
		"http://[0:0:0:0:0:0:0:1]:8090/",
		"https://[0:0:0:0:0:0:0:1]:8090/",
	} {
		t.Run(raw, func(t *testing.T) {
			g := NewWithT(t)
			obj := sample(t)
			set(obj, "metadata.namespace", "default")
			set(obj, "spec.github.apiURL", raw)
			err := env.Client.Create(context.Background(), &unstructured.Unstructured{Object: obj}, client.DryRunAll)
			problem := githubapi.ServerURLProblem(raw)
			if problem == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred(), "admitted; the controller refuses it: %s", problem)
			g.Expect(err.Error()).To(ContainSubstring("spec.github.apiURL"))
			g.Expect(err.Error()).To(ContainSubstring(problem))
		})
	}
}
