package registry

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDockerConfigJSON checks that the parser never panics, that a credential it returns is complete, and
// that its errors never quote a credential of the input.
//
//	go test -run '^$' -fuzz FuzzDockerConfigJSON -fuzztime 1m ./internal/registry/
func FuzzDockerConfigJSON(f *testing.F) {
	for _, seed := range []struct{ raw, server string }{
		{`{"auths":{"ghcr.io":{"username":"u","password":"p"}}}`, "ghcr.io"},
		{`{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}`, "docker.io"},
		{`{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},"docker.io":{"auth":"dTpx"}}}`, "docker.io"},
		{`{"auths":{"registry.example.com:5000":{"auth":"dTpw","username":"x"}}}`, "REGISTRY.example.com:5000"},
		{`{"auths":{"ghcr.io":{"identitytoken":"tok"}}}`, "ghcr.io"},
		{`{"auths":{"ghcr.io":{"auth":12}}}`, "ghcr.io"},
		{`{"auths":[]}`, "ghcr.io"},
		{`{"auths":{"ghcr.io":{"password":hunter2}}}`, "ghcr.io"},
		{`{"auths":{"ghcr.io":{"auth":"aHVudGVyMg"}}}`, "ghcr.io"},
		{"\xff{", "x"},
	} {
		f.Add([]byte(seed.raw), seed.server)
	}
	f.Fuzz(func(t *testing.T, raw []byte, server string) {
		cred, err := FromDockerConfigJSON(raw, server)
		if err == nil {
			if cred.Username == "" || cred.Password == "" {
				t.Fatalf("a credential without user name or password was accepted")
			}
			return
		}
		if KindOf(err) == 0 {
			t.Fatalf("untyped error %T", err)
		}
		msg := err.Error()
		for _, v := range credentialStrings(raw, server) {
			if strings.Contains(msg, v) {
				t.Fatalf("error %q quotes a credential field of the input (%d bytes)", msg, len(v))
			}
		}
	})
}

// credentialStrings returns the values of the input's username, password, auth and identitytoken fields,
// and what auth decodes to, leaving out short ones and ones that also occur as an entry key or in the
// server (which messages may name) or in the parser's fixed wording.
func credentialStrings(raw []byte, server string) []string {
	var cfg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if json.Unmarshal(raw, &cfg) != nil {
		// Invalid JSON: messages give a position only, which the fuzzer checks through the other cases.
		return nil
	}
	var keys []string
	for k := range cfg.Auths {
		keys = append(keys, k)
	}
	var out []string
	add := func(v string) {
		if len(v) < 6 || strings.Contains(server, v) {
			return
		}
		for _, k := range keys {
			if strings.Contains(k, v) || strings.Contains(v, k) {
				return
			}
		}
		out = append(out, v)
	}
	for _, entry := range cfg.Auths {
		for _, field := range []string{"username", "password", "auth", "identitytoken"} {
			if s, ok := entry[field].(string); ok {
				add(s)
				if field == "auth" {
					if dec, err := decodeBase64(strings.TrimSpace(s)); err == nil {
						user, pass, _ := strings.Cut(string(dec), ":")
						add(user)
						add(pass)
					}
				}
			}
		}
	}
	return out
}
