package registry

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestNormalizeServer(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io":                          "ghcr.io",
		"GHCR.io":                          "ghcr.io",
		"https://ghcr.io":                  "ghcr.io",
		"https://ghcr.io/":                 "ghcr.io",
		"HTTPS://ghcr.io/v2/":              "ghcr.io",
		"http://registry.example.com:5000": "registry.example.com:5000",
		"registry.example.com:5000/v1/":    "registry.example.com:5000",
		"https://index.docker.io/v1/":      "docker.io",
		"index.docker.io":                  "docker.io",
		"registry-1.docker.io":             "docker.io",
		"docker.io":                        "docker.io",
		"Docker.IO":                        "docker.io",
		"  quay.io  ":                      "quay.io",
		"":                                 "",
	} {
		if got := NormalizeServer(in); got != want {
			t.Errorf("NormalizeServer(%q) = %q, want %q", in, got, want)
		}
	}
}

func mkConfig(t *testing.T, auths map[string]map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFromDockerConfigJSON(t *testing.T) {
	const user, pass = "robot$ci", "s3cr3t-Pa55:with-colon"
	ok := Credential{Username: user, Password: pass}
	cases := []struct {
		name   string
		raw    []byte
		server string
		want   Credential
		kind   Kind
		msg    string // a substring of the error
	}{
		{name: "username and password", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": user, "password": pass}}), want: ok},
		{name: "auth wins over username and password", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": "other", "password": "other", "auth": b64(user + ":" + pass)}}), want: ok},
		{name: "auth without padding", server: "ghcr.io",
			raw:  mkConfig(t, map[string]map[string]string{"ghcr.io": {"auth": strings.TrimRight(b64(user+":"+pass+"x"), "=")}}),
			want: Credential{Username: user, Password: pass + "x"}},
		{name: "scheme and /v2/ suffix", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"https://ghcr.io/v2/": {"username": user, "password": pass}}), want: ok},
		{name: "host case", server: "Registry.Example.com:5000",
			raw: mkConfig(t, map[string]map[string]string{"http://registry.example.COM:5000/v1/": {"username": user, "password": pass}}), want: ok},
		{name: "docker hub legacy key matches docker.io", server: "docker.io",
			raw: mkConfig(t, map[string]map[string]string{"https://index.docker.io/v1/": {"auth": b64(user + ":" + pass)}}), want: ok},
		{name: "docker.io key matches index.docker.io", server: "index.docker.io",
			raw: mkConfig(t, map[string]map[string]string{"docker.io": {"auth": b64(user + ":" + pass)}}), want: ok},
		{name: "registry-1.docker.io", server: "docker.io",
			raw: mkConfig(t, map[string]map[string]string{"registry-1.docker.io": {"auth": b64(user + ":" + pass)}}), want: ok},
		{name: "exact key wins over other matches", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": user, "password": pass}, "https://ghcr.io": {"username": "x", "password": "y"}}), want: ok},
		{name: "agreeing matches", server: "docker.io",
			raw: mkConfig(t, map[string]map[string]string{"index.docker.io": {"username": user, "password": pass}, "https://index.docker.io/v1/": {"auth": b64(user + ":" + pass)}}), want: ok},
		{name: "other entries are ignored even when broken", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": user, "password": pass}, "quay.io": {"auth": "!!"}}), want: ok},
		{name: "port is part of the host", server: "registry.example.com",
			raw:  mkConfig(t, map[string]map[string]string{"registry.example.com:5000": {"username": user, "password": pass}}),
			kind: NotInConfig, msg: `has no entry for registry registry.example.com (entries: "registry.example.com:5000")`},
		{name: "no entry", server: "quay.io",
			raw:  mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": user, "password": pass}}),
			kind: NotInConfig, msg: `.dockerconfigjson has no entry for registry quay.io (entries: "ghcr.io")`},
		{name: "empty auths", server: "quay.io", raw: []byte(`{"auths":{}}`), kind: NotInConfig, msg: "(entries: none)"},
		{name: "no auths", server: "quay.io", raw: []byte(`{"credsStore":"desktop"}`), kind: Malformed, msg: `has no "auths" object`},
		{name: "not JSON", server: "ghcr.io", raw: []byte("{\"auths\": {\n  \"ghcr.io\": {\"password\": " + pass + "}}}"), kind: Malformed,
			msg: "invalid JSON at line 2, column 27"},
		{name: "truncated", server: "ghcr.io", raw: []byte(`{"auths": {"ghcr.io": {"password": "` + pass), kind: Malformed, msg: "not a docker config"},
		{name: "wrong type", server: "ghcr.io", raw: []byte(`{"auths": {"ghcr.io": {"auth": 12}}}`), kind: Malformed,
			msg: `"auths.auth" is a JSON number, expected a string (line 1, column 33)`},
		{name: "auths is a list", server: "ghcr.io", raw: []byte(`{"auths": ["` + pass + `"]}`), kind: Malformed,
			msg: `"auths" is a JSON array, expected an object`},
		{name: "top level list", server: "ghcr.io", raw: []byte(`["` + pass + `"]`), kind: Malformed, msg: "the top level is a JSON array"},
		{name: "auth not base64", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"auth": pass}}), kind: Malformed, msg: `the "auth" field of entry "ghcr.io" is not base64`},
		{name: "auth without colon", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"auth": b64("nocolon-" + user)}}), kind: Malformed, msg: `does not decode to "username:password"`},
		{name: "auth with empty password", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"auth": b64(user + ":")}}), kind: Malformed, msg: "decodes to an empty password"},
		{name: "missing password", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": user}}), kind: Malformed, msg: "(empty password)"},
		{name: "identity token only", server: "ghcr.io",
			raw: mkConfig(t, map[string]map[string]string{"ghcr.io": {"identitytoken": pass}}), kind: Malformed, msg: "only an identity token"},
		{name: "disagreeing matches", server: "docker.io",
			raw:  mkConfig(t, map[string]map[string]string{"index.docker.io": {"username": user, "password": pass}, "https://index.docker.io/v1/": {"auth": b64(user + ":other")}}),
			kind: Malformed, msg: `entries "https://index.docker.io/v1/" and "index.docker.io" for registry docker.io with different credentials`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromDockerConfigJSON(tc.raw, tc.server)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got != tc.want {
					t.Fatalf("wrong credential (user %q)", got.Username)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.msg)
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %d, want %d (%v)", KindOf(err), tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			for _, secret := range []string{pass, b64(pass), b64(user + ":" + pass), "s3cr3t"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a credential", err)
				}
			}
		})
	}
}

func TestFromSecret(t *testing.T) {
	cfg := mkConfig(t, map[string]map[string]string{"ghcr.io": {"username": "u", "password": "p"}})
	if c, err := FromSecret(TypeDockerConfigJSON, map[string][]byte{DockerConfigJSONKey: cfg}, "ghcr.io"); err != nil || c != (Credential{"u", "p"}) {
		t.Errorf("dockerconfigjson: %v", err)
	}
	if c, err := FromSecret(TypeBasicAuth, map[string][]byte{"username": []byte("u"), "password": []byte(" p \n")}, "ghcr.io"); err != nil || c != (Credential{"u", " p \n"}) {
		t.Errorf("basic-auth: %v (values must be taken as they are)", err)
	}
	for _, tc := range []struct {
		typ  string
		data map[string][]byte
		kind Kind
		msg  string
	}{
		{TypeDockerConfigJSON, map[string][]byte{"config.json": cfg}, Malformed, `it has no ".dockerconfigjson" key`},
		{TypeBasicAuth, map[string][]byte{"username": []byte("u")}, Malformed, `key "password" is missing or empty`},
		{TypeBasicAuth, map[string][]byte{}, Malformed, `key "username" and key "password" is missing or empty`},
		{TypeBasicAuth, map[string][]byte{"username": []byte("u"), "password": {}}, Malformed, `key "password" is missing or empty`},
		{"Opaque", map[string][]byte{"username": []byte("u"), "password": []byte("p")}, UnsupportedType,
			"its type is Opaque; it must be kubernetes.io/dockerconfigjson (with an entry for ghcr.io) or kubernetes.io/basic-auth"},
		{"", nil, UnsupportedType, "its type is Opaque"},
		{"kubernetes.io/dockercfg", nil, UnsupportedType, "its type is kubernetes.io/dockercfg"},
	} {
		_, err := FromSecret(tc.typ, tc.data, "ghcr.io")
		if err == nil || KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("FromSecret(%q, %v): error %v (kind %d), want kind %d containing %q", tc.typ, keys(tc.data), err, KindOf(err), tc.kind, tc.msg)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A Credential never prints its values, whatever the verb or encoder.
func TestCredentialIsRedacted(t *testing.T) {
	c := Credential{Username: "alice-user", Password: "hunter2-secret"}
	outs := []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c), fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", struct{ C Credential }{c}),
	}
	j, err := json.Marshal(struct{ C Credential }{c})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j), fmt.Sprint(c.MarshalLog()))
	for _, o := range outs {
		if strings.Contains(o, "alice-user") || strings.Contains(o, "hunter2") {
			t.Errorf("leaked: %s", o)
		}
	}
}
