package release

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// scopedTransport is the innermost round tripper under go-containerregistry's auth transports. ggcr sends
// basic credentials to whatever token realm a registry's WWW-Authenticate names, and Go's client keeps an
// Authorization header across redirects within a domain; this transport is the last word: a request keeps
// its Authorization header only when it goes to the image's registry host, or to a token realm on the
// registry's registrable domain or listed explicitly, over https (or to a loopback host), and was not
// redirected there from another host.
type scopedTransport struct {
	base http.RoundTripper
	// registry is the image's registry host[:port].
	registry string
	// allowed are further hosts (token realms) that may receive credentials.
	allowed []string
	// requests counts every request, for the economy figures in status and the benchmark.
	requests *atomic.Int64
	// stripped counts Authorization headers removed, so tests and messages can tell.
	stripped *atomic.Int64
}

func (t *scopedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	if req.Header.Get("Authorization") != "" && !t.mayReceiveCredentials(req) {
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
		t.stripped.Add(1)
	}
	return t.base.RoundTrip(req)
}

func (t *scopedTransport) mayReceiveCredentials(req *http.Request) bool {
	host := canonicalHost(req.URL)
	if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
		return false
	}
	// A redirect: Go sets req.Response to the response that redirected. Another host than the one that
	// redirected never gets credentials, even a host that may get them when asked directly.
	for prev := req.Response; prev != nil && prev.Request != nil; prev = prev.Request.Response {
		if canonicalHost(prev.Request.URL) != host {
			return false
		}
	}
	if host == t.registry {
		return true
	}
	for _, a := range t.allowed {
		if strings.EqualFold(a, host) {
			return true
		}
	}
	return sameRegistrableDomain(hostOnly(host), hostOnly(t.registry))
}

// sameRegistrableDomain says whether two host names share a registrable domain (eTLD+1), e.g.
// registry.acme.example and auth.acme.example. IP addresses and names without one only match themselves,
// and then only on the same port (checked by the caller's exact comparison).
func sameRegistrableDomain(a, b string) bool {
	if net.ParseIP(a) != nil || net.ParseIP(b) != nil {
		return false
	}
	da, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(a))
	if err != nil {
		return false
	}
	db, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(b))
	return err == nil && da == db
}

func canonicalHost(u interface {
	Hostname() string
	Port() string
}) string {
	h := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" {
		return net.JoinHostPort(h, p)
	}
	return h
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// isLoopback: localhost, *.localhost (RFC 6761) and loopback addresses.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
