package github

import (
	"testing"

	. "github.com/onsi/gomega"
)

// Every spelling of one server is one Server, and every loopback spelling is one owner; what could make
// a second spelling, or send a token in the clear, is refused in the admission rule's words.
func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		raw, canonical, ownership string
	}{
		{"https://api.github.com/", "https://api.github.com/", "api.github.com:443/"},
		{"https://api.github.com", "https://api.github.com/", "api.github.com:443/"},
		{"HTTPS://API.GitHub.COM:443/", "https://api.github.com/", "api.github.com:443/"},
		{"https://api.github.com.:0443", "https://api.github.com/", "api.github.com:443/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "ghe.example.com:443/api/v3/"},
		{"https://ghe.example.com//api/./v3//", "https://ghe.example.com/api/v3/", "ghe.example.com:443/api/v3/"},
		{"https://ghe.example.com/api/x/../v3/", "https://ghe.example.com/api/v3/", "ghe.example.com:443/api/v3/"},
		{"https://ghe.example.com:8443/API/v3/", "https://ghe.example.com:8443/API/v3/", "ghe.example.com:8443/api/v3/"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/", "loopback:8080/"},
		{"http://localhost:8080", "http://localhost:8080/", "loopback:8080/"},
		{"http://LOCALHOST:8080/", "http://localhost:8080/", "loopback:8080/"},
		{"http://[::1]:8080/", "http://[::1]:8080/", "loopback:8080/"},
		{"https://[0:0:0:0:0:0:0:1]:8080/", "https://[::1]:8080/", "loopback:8080/"},
		{"http://127.8.9.10:8080/", "http://127.8.9.10:8080/", "loopback:8080/"},
		{"https://0.0.0.0:8080/", "https://0.0.0.0:8080/", "loopback:8080/"},
		{"https://localhost:8080/", "https://localhost:8080/", "loopback:8080/"},
		{"http://127.0.0.1/", "http://127.0.0.1/", "loopback:80/"},
		{"http://127.0.0.1:80/", "http://127.0.0.1/", "loopback:80/"},
		{"https://127.0.0.1:80/", "https://127.0.0.1:80/", "loopback:80/"},
		{"https://[2001:DB8::1]/", "https://[2001:db8::1]/", "[2001:db8::1]:443/"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			g := NewWithT(t)
			s, err := ParseServer(tc.raw)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s.String()).To(Equal(tc.canonical))
			g.Expect(s.OwnershipKey()).To(Equal(tc.ownership))
			again, err := ParseServer(s.String())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(again).To(Equal(s), "the canonical form is its own canonical form")
		})
	}
}

func TestParseServerRefuses(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                 "is empty",
		"https://api.github.com/?x":        "must not have a query",
		"https://api.github.com/?":         "must not have a query",
		"https://api.github.com/#frag":     "must not have a fragment",
		"https://api.github.com/ ":         "must not contain white space",
		" https://api.github.com/":         "must not contain white space",
		"https://api.github.com/%61pi/":    "percent signs",
		"https://api.github.com\\@evil/":   "backslashes",
		"api.github.com":                   "must be an absolute URL",
		"/api/v3/":                         "must be an absolute URL",
		"https:api.github.com":             "must be an absolute URL",
		"https://user:pw@api.github.com/":  "must not carry user info",
		"https://tok@api.github.com/":      "must not carry user info",
		"https:///api/v3/":                 "the host must be a DNS name",
		"https://gіthub.example/":          "the host must be a DNS name", // Cyrillic і
		"https://-x.example/":              "the host must be a DNS name",
		"https://a..b/":                    "the host must be a DNS name",
		"https://2130706433/":              "looks like an IP address",
		"http://127.1:8080/":               "looks like an IP address",
		"http://0x7f.1/":                   "looks like an IP address",
		"http://0177.0.0.1/":               "looks like an IP address",
		"https://example.com:0/":           "the port must be between 1 and 65535",
		"https://example.com:65536/":       "the port must be between 1 and 65535",
		"https://example.com/a<b/":         "the path may only hold",
		"https://example.com/café/":        "the path may only hold",
		"ftp://example.com/":               "must be https",
		"http://github.example.com/":       "plain http is accepted only to a literal loopback address",
		"http://127.evil.example/":         "plain http is accepted only to a literal loopback address",
		"http://127.0.0.1.nip.io/":         "plain http is accepted only to a literal loopback address",
		"http://localhost.:8080/":          "plain http is accepted only to a literal loopback address",
		"http://0.0.0.0:8080/":             "plain http is accepted only to a literal loopback address",
		"http://10.0.0.1/":                 "plain http is accepted only to a literal loopback address",
		"http://[::ffff:127.0.0.1]:8080/":  "the host must be a DNS name",
		"https://[::127.0.0.1]:8080/":      "the host must be a DNS name",
		"http://[0:0:0:0:0:0:0:1]:8080/":   "plain http is accepted only to a literal loopback address",
		"https://[fe80::1%25eth0]:8080/":   "percent signs",
		"http://localhost:8080/api?x#frag": "must not have a query",
	} {
		t.Run(raw, func(t *testing.T) {
			g := NewWithT(t)
			_, err := ParseServer(raw)
			g.Expect(err).To(MatchError(ContainSubstring(want)))
			if raw != "" {
				g.Expect(ServerURLProblem(raw)).To(Equal(err.Error()))
			}
		})
	}
}
