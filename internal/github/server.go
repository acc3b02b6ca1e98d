package github

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Server is one GitHub REST API server, parsed and canonicalised once from an API URL. Everything that
// is keyed by "which GitHub" uses it: the URL dialled, the caches of facts about the server, the
// credentials' identities and the ownership of repositories. Two spellings of one URL (an upper-case
// host, an explicit default port, "/api/v3" without its slash, "//" or "/./" in the path) are one Server.
type Server struct {
	url *url.URL
	// ownership is what two pipelines naming one repository are compared by (see OwnershipKey).
	ownership string
}

// ParseServer parses and canonicalises a GitHub API base URL. It refuses what the SecurePipeline CRD
// refuses at admission, with the same words, so that an object stored before a rule existed is refused
// the same way: a query, a fragment, user info, white space or percent-encoding, a scheme other than
// https (http only to a literal loopback address or localhost), and a host that is neither a DNS name
// of ASCII letters, digits and hyphens nor an IP address in canonical form.
//
// The canonical form has a lower-case scheme and host, no trailing dot on the host, no default port, and
// a clean path with exactly one trailing slash (go-github needs it). The host is otherwise kept as
// written, so "localhost" is dialled as "localhost".
func ParseServer(raw string) (Server, error) {
	if raw == "" {
		return Server{}, errors.New("is empty")
	}
	if msg := ServerURLProblem(raw); msg != "" {
		return Server{}, errors.New(msg)
	}
	u, _ := url.Parse(raw) // ServerURLProblem has parsed it
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	ip, isIP := parseCanonicalIP(host)
	hostPart := host
	if isIP && ip.Is6() {
		hostPart = "[" + ip.String() + "]"
	}
	scheme := strings.ToLower(u.Scheme)
	port := defaultPort(scheme)
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p) // range-checked by ServerURLProblem
	}
	authority := hostPart
	if port != defaultPort(scheme) {
		authority += ":" + strconv.Itoa(port)
	}
	clean := path.Clean("/" + u.Path)
	if clean != "/" {
		clean += "/"
	}
	canonical := &url.URL{Scheme: scheme, Host: authority, Path: clean}

	// For ownership, every name of this machine is one host: 127.0.0.1, 127.1.2.3, ::1, localhost, and
	// the unspecified addresses, which Linux dials as the local host. The scheme is left out and the port
	// always written, so http and https to one port, or ":443" and nothing, cannot be two owners either.
	ownHost := hostPart
	if host == "localhost" || (isIP && (ip.IsLoopback() || ip.IsUnspecified())) {
		ownHost = "loopback"
	}
	ownership := strings.ToLower(ownHost + ":" + strconv.Itoa(port) + clean)
	return Server{url: canonical, ownership: ownership}, nil
}

// String is the canonical URL, e.g. "https://github.example.com/api/v3/". Caches of facts about a server
// (ids of users and teams) and of what credentials saw (ETags) are keyed by it.
func (s Server) String() string {
	if s.url == nil {
		return ""
	}
	return s.url.String()
}

// URL returns a copy of the canonical URL, to dial.
func (s Server) URL() *url.URL {
	u := *s.url
	return &u
}

// OwnershipKey names the server for deciding which pipeline owns a repository: like String, but with
// every loopback spelling as one host and without the scheme. It may merge servers that String keeps
// apart (127.0.0.1 and 127.0.0.2), which only ever makes two pipelines conflict, never share a cache.
func (s Server) OwnershipKey() string { return s.ownership }

// ServerURLProblem says what is wrong with raw as a GitHub API base URL, in the words of the CRD's
// admission rules on spec.github.apiURL, or "" when nothing is.
func ServerURLProblem(raw string) string {
	switch {
	case strings.Contains(raw, "?"):
		return "must not have a query (?...)"
	case strings.Contains(raw, "#"):
		return "must not have a fragment (#...)"
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '%' || r == '\\' }):
		return "must not contain white space, control characters, percent signs or backslashes"
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return "must be an absolute URL such as https://github.example.com/api/v3/"
	}
	if u.User != nil {
		return "must not carry user info (user:password@)"
	}
	host := u.Hostname()
	ip, isIP := parseCanonicalIP(host)
	switch {
	case !isIP && !dnsName(host):
		return "the host must be a DNS name of ASCII letters, digits and hyphens, or an IP address"
	case !isIP && numericLabel(host):
		// 127.1, 2130706433 and 0x7f.1 are IP addresses to some resolvers, so they could alias a literal.
		return "the host looks like an IP address but is not one in canonical form (e.g. 127.1 or 2130706433)"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "the port must be between 1 and 65535"
		}
	}
	if !pathChars(u.EscapedPath()) {
		return "the path may only hold letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ /"
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		// Literal loopback only, as written: localhost, a dotted IPv4 address in 127.0.0.0/8, or ::1.
		if !strings.EqualFold(host, "localhost") && (!isIP || !ip.Is4() || !ip.IsLoopback()) && host != "::1" {
			return "must be https; plain http is accepted only to a literal loopback address (127.0.0.0/8, ::1) or localhost"
		}
	default:
		return "must be https; plain http is accepted only to a literal loopback address (127.0.0.0/8, ::1) or localhost"
	}
	return ""
}

// parseCanonicalIP parses an IP address in one of its usual spellings: IPv4 dotted without leading
// zeros, IPv6 without a zone and without an embedded dotted IPv4 part (::ffff:127.0.0.1 would be a
// second spelling of an IPv4 address).
func parseCanonicalIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() || (a.Is6() && strings.Contains(s, ".")) {
		return netip.Addr{}, false
	}
	return a, true
}

// dnsName reports a host name of ASCII letters, digits and hyphens in dot-separated labels, optionally
// ending in a dot; internationalised names must be written in punycode, so one name has one spelling.
func dnsName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// numericLabel reports a name whose last label is a number (decimal, or hex with 0x): no top-level
// domain is, and resolvers that accept inet_aton's forms read such names as IPv4 addresses.
func numericLabel(s string) bool {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	last := s[strings.LastIndex(s, ".")+1:]
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// pathChars reports an escaped path made only of RFC 3986 pchar characters and slashes, without
// percent-encoding: one path, one spelling.
func pathChars(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func defaultPort(scheme string) int {
	if scheme == "http" {
		return 80
	}
	return 443
}

// APIURLError says an API URL cannot be used. Retrying does not help: a human must fix the spec (or the
// manager's --github-api-url flag).
type APIURLError struct {
	URL     string
	Problem string
}

// Error names the field and the problem, in the admission rule's words.
func (e *APIURLError) Error() string {
	return fmt.Sprintf("spec.github.apiURL %q: %s", e.URL, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalidAPIURL) true.
func (e *APIURLError) Unwrap() error { return ErrInvalidAPIURL }

// ErrInvalidAPIURL is in the chain of every *APIURLError.
var ErrInvalidAPIURL = errors.New("invalid GitHub API URL")

// IsInvalidAPIURL reports an *APIURLError: a human must fix spec.github.apiURL or --github-api-url.
func IsInvalidAPIURL(err error) bool { return errors.Is(err, ErrInvalidAPIURL) }
