// Package registry reads container registry credentials out of the data of a Kubernetes Secret of type
// kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth. It has no Kubernetes dependency: callers
// hand in the Secret's type and data.
//
// Nothing in this package ever puts a credential into an error message or a formatted value: errors say
// which key or entry is wrong and how, and Credential formats as "[redacted]".
package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Secret types, as Kubernetes spells them.
const (
	// TypeDockerConfigJSON is a Secret holding a docker config.json under DockerConfigJSONKey.
	TypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	// TypeBasicAuth is a Secret holding BasicAuthUsernameKey and BasicAuthPasswordKey.
	TypeBasicAuth = "kubernetes.io/basic-auth"

	// DockerConfigJSONKey is the data key of a kubernetes.io/dockerconfigjson Secret.
	DockerConfigJSONKey = ".dockerconfigjson"
	// BasicAuthUsernameKey and BasicAuthPasswordKey are the data keys of a kubernetes.io/basic-auth Secret.
	BasicAuthUsernameKey = "username"
	BasicAuthPasswordKey = "password"
)

// Credential is a registry user name and password (or token). It never formats its values: fmt, %v, %+v,
// %#v, logr and JSON all see "[redacted]", so an accidental log line cannot leak it.
type Credential struct {
	Username string
	Password string
}

const redacted = "[redacted]"

// String implements fmt.Stringer.
func (Credential) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (Credential) GoString() string { return redacted }

// Format implements fmt.Formatter, so that every verb (%v, %+v, %s, %q, %x...) prints "[redacted]".
func (Credential) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalLog implements logr.Marshaler.
func (Credential) MarshalLog() any { return redacted }

// MarshalJSON keeps the values out of any JSON encoding (structured loggers use it).
func (Credential) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Kind classifies a parse error, so that callers can map it to a condition reason.
type Kind int

const (
	// Malformed: the Secret's data cannot be parsed, or an entry lacks a user name or password.
	Malformed Kind = iota + 1
	// UnsupportedType: the Secret is neither kubernetes.io/dockerconfigjson nor kubernetes.io/basic-auth.
	UnsupportedType
	// NotInConfig: a docker config has no entry for the registry's server.
	NotInConfig
)

// Error is a parse error. Its message names keys, entries and JSON positions, never values.
type Error struct {
	Kind Kind
	msg  string
}

func (e *Error) Error() string { return e.msg }

func errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of an error returned by this package, or 0.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// FromSecret reads the credential for server out of a Secret's type and data.
func FromSecret(secretType string, data map[string][]byte, server string) (Credential, error) {
	switch secretType {
	case TypeDockerConfigJSON:
		raw, ok := data[DockerConfigJSONKey]
		if !ok {
			return Credential{}, errorf(Malformed, "it has no %q key", DockerConfigJSONKey)
		}
		return FromDockerConfigJSON(raw, server)
	case TypeBasicAuth:
		return FromBasicAuth(data)
	case "":
		secretType = "Opaque"
	}
	return Credential{}, errorf(UnsupportedType,
		"its type is %s; it must be %s (with an entry for %s) or %s", secretType, TypeDockerConfigJSON, server, TypeBasicAuth)
}

// FromBasicAuth reads a kubernetes.io/basic-auth Secret's data. Values are taken as they are: no white
// space is trimmed, as a password may hold some.
func FromBasicAuth(data map[string][]byte) (Credential, error) {
	var missing []string
	for _, k := range []string{BasicAuthUsernameKey, BasicAuthPasswordKey} {
		if len(data[k]) == 0 {
			missing = append(missing, fmt.Sprintf("%q", k))
		}
	}
	if len(missing) > 0 {
		return Credential{}, errorf(Malformed, "key %s is missing or empty", strings.Join(missing, " and key "))
	}
	return Credential{Username: string(data[BasicAuthUsernameKey]), Password: string(data[BasicAuthPasswordKey])}, nil
}

// dockerConfig is the part of a docker config.json this package reads.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Auth is base64("username:password"); docker and Kubernetes prefer it over username and password.
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
}

// FromDockerConfigJSON reads the credential for server out of a docker config.json. Entries match the
// way docker matches them: scheme and path are ignored ("https://ghcr.io/v2/" is ghcr.io), the host is
// case-insensitive, and docker.io, index.docker.io and registry-1.docker.io are one registry. An entry
// whose key is exactly server wins; otherwise every matching entry must hold the same credential.
func FromDockerConfigJSON(raw []byte, server string) (Credential, error) {
	var cfg dockerConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return Credential{}, errorf(Malformed, "%s is not a docker config: %s", DockerConfigJSONKey, describeJSONError(raw, err))
	}
	if cfg.Auths == nil {
		return Credential{}, errorf(Malformed, `%s has no "auths" object`, DockerConfigJSONKey)
	}
	want := NormalizeServer(server)
	keys := make([]string, 0, len(cfg.Auths))
	for k := range cfg.Auths {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	if a, ok := cfg.Auths[server]; ok {
		return credentialOf(server, a)
	}
	var matches []string
	for _, k := range keys {
		if NormalizeServer(k) == want {
			matches = append(matches, k)
		}
	}
	if len(matches) == 0 {
		return Credential{}, errorf(NotInConfig, "%s has no entry for registry %s (entries: %s)",
			DockerConfigJSONKey, server, listOrNone(keys))
	}
	cred, err := credentialOf(matches[0], cfg.Auths[matches[0]])
	if err != nil {
		return Credential{}, err
	}
	for _, k := range matches[1:] {
		other, err := credentialOf(k, cfg.Auths[k])
		if err != nil {
			return Credential{}, err
		}
		if other != cred {
			return Credential{}, errorf(Malformed, "%s has entries %q and %q for registry %s with different credentials: keep one",
				DockerConfigJSONKey, matches[0], k, server)
		}
	}
	return cred, nil
}

// credentialOf turns one auths entry into a credential. key is the entry's key, used in messages.
func credentialOf(key string, a dockerAuth) (Credential, error) {
	if a.Auth != "" {
		dec, err := decodeBase64(strings.TrimSpace(a.Auth))
		if err != nil {
			return Credential{}, errorf(Malformed, "the \"auth\" field of entry %q is not base64", key)
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return Credential{}, errorf(Malformed, "the \"auth\" field of entry %q does not decode to \"username:password\"", key)
		}
		if user == "" || pass == "" {
			return Credential{}, errorf(Malformed, "the \"auth\" field of entry %q decodes to an empty %s", key, emptyPart(user, pass))
		}
		return Credential{Username: user, Password: pass}, nil
	}
	if a.Username == "" || a.Password == "" {
		if a.Username == "" && a.Password == "" && a.IdentityToken != "" {
			return Credential{}, errorf(Malformed,
				"entry %q holds only an identity token, which cannot be pushed as a user name and password", key)
		}
		return Credential{}, errorf(Malformed, "entry %q has neither an \"auth\" field nor both \"username\" and \"password\" (empty %s)",
			key, emptyPart(a.Username, a.Password))
	}
	return Credential{Username: a.Username, Password: a.Password}, nil
}

func emptyPart(user, pass string) string {
	switch {
	case user == "" && pass == "":
		return "user name and password"
	case user == "":
		return "user name"
	default:
		return "password"
	}
}

// decodeBase64 accepts standard base64 with or without padding, as docker configs in the wild use both.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// describeJSONError says where a docker config is broken without quoting it: encoding/json's messages
// can hold a character of the input (a syntax error) or, in other versions, more.
func describeJSONError(raw []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(raw, syn.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d", line, col)
	case errors.As(err, &typ):
		line, col := position(raw, typ.Offset)
		where := "the top level"
		if typ.Field != "" {
			// Field is a path of JSON keys ("auths.ghcr.io.auth"), never a value.
			where = fmt.Sprintf("%q", typ.Field)
		}
		return fmt.Sprintf("%s is a JSON %s, expected %s (line %d, column %d)", where, typ.Value, jsonType(typ.Type.Kind().String()), line, col)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends early"
	}
	return "invalid JSON"
}

func jsonType(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	}
	return goKind
}

// position turns a byte offset into a 1-based line and column.
func position(raw []byte, offset int64) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(raw)) {
		offset = int64(len(raw))
	}
	before := raw[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

func listOrNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	const shown = 10
	quoted := make([]string, 0, min(len(keys), shown))
	for _, k := range keys[:min(len(keys), shown)] {
		quoted = append(quoted, fmt.Sprintf("%q", k))
	}
	s := strings.Join(quoted, ", ")
	if len(keys) > shown {
		s += fmt.Sprintf(" and %d more", len(keys)-shown)
	}
	return s
}

// dockerHubAliases are the names Docker Hub goes by in docker configs.
var dockerHubAliases = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// NormalizeServer reduces a registry server, or a key of a docker config's "auths", to the host docker
// compares: without scheme ("https://", "http://") and path ("/v1/", "/v2/"), lower-cased, with Docker
// Hub's aliases as "docker.io".
func NormalizeServer(s string) string {
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	s = strings.ToLower(s)
	if dockerHubAliases[s] {
		return "docker.io"
	}
	return s
}
