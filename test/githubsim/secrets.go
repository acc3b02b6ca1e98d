package githubsim

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"

	"golang.org/x/crypto/nacl/box"
)

// This file serves environment secrets on both path forms,
// /repos/{owner}/{repo}/environments/{environment_name}/secrets/... and
// /repositories/{repository_id}/environments/{environment_name}/secrets/...
// Values arrive sealed with the environment's Curve25519 public key
// (libsodium sealed box) and are decrypted, so tests can read them back.

// maxSecretSize is GitHub's limit on a secret's (decrypted) value.
const maxSecretSize = 48 * 1024

var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validSecretName applies GitHub's naming rules; it returns what is wrong.
func validSecretName(name string) string {
	switch {
	case !secretNameRE.MatchString(name):
		return "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_)."
	case strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		return "Secret names must not start with the GITHUB_ prefix."
	}
	return ""
}

func secretJSON(sc *secret) map[string]any {
	return map[string]any{"name": sc.Name, "created_at": ts(sc.CreatedAt), "updated_at": ts(sc.UpdatedAt)}
}

func (s *Server) listSecrets(c *call) *reply {
	_, e, rep := c.env(docsEnvSecrets)
	if rep != nil {
		return rep
	}
	all := e.sortedSecrets()
	lo, hi, link := paginate(c, len(all))
	out := []any{}
	for _, sc := range all[lo:hi] {
		out = append(out, secretJSON(sc))
	}
	return withLink(&reply{status: http.StatusOK, body: map[string]any{"total_count": len(all), "secrets": out}}, link)
}

func (s *Server) getPublicKey(c *call) *reply {
	_, e, rep := c.env(docsEnvSecrets)
	if rep != nil {
		return rep
	}
	return &reply{status: http.StatusOK, body: map[string]any{
		"key_id": e.key.ID, "key": base64.StdEncoding.EncodeToString(e.key.Pub[:]),
	}}
}

func (s *Server) getSecret(c *call) *reply {
	_, e, rep := c.env(docsEnvSecrets)
	if rep != nil {
		return rep
	}
	sc := e.secrets[strings.ToUpper(c.param("secret_name"))]
	if sc == nil {
		return notFound(docsEnvSecrets)
	}
	return &reply{status: http.StatusOK, body: secretJSON(sc)}
}

// putSecret answers 201 with {} when it creates the secret and 204 when it
// updates it; 422 when the name is invalid, the key_id is not the
// environment's current key, the value does not open with the environment's
// key, or the value is larger than 48 KB.
func (s *Server) putSecret(c *call) *reply {
	_, e, rep := c.env(docsEnvSecrets)
	if rep != nil {
		return rep
	}
	name := c.param("secret_name")
	if msg := validSecretName(name); msg != "" {
		return invalidField(docsEnvSecrets, "Secret", "name", msg)
	}
	var in struct {
		EncryptedValue *string `json:"encrypted_value"`
		KeyID          *string `json:"key_id"`
	}
	if rep := c.decode(&in); rep != nil {
		return rep
	}
	switch {
	case in.EncryptedValue == nil:
		return validationFailed(docsEnvSecrets, fieldError{Resource: "Secret", Field: "encrypted_value", Code: "missing_field"})
	case in.KeyID == nil:
		return validationFailed(docsEnvSecrets, fieldError{Resource: "Secret", Field: "key_id", Code: "missing_field"})
	case *in.KeyID != e.key.ID:
		msg := "key_id does not match the environment's public key"
		if e.staleKeyIDs[*in.KeyID] {
			msg = "key_id refers to a public key that has been rotated; fetch the current public key"
		}
		return invalidField(docsEnvSecrets, "Secret", "key_id", msg)
	}
	sealed, err := base64.StdEncoding.DecodeString(*in.EncryptedValue)
	if err != nil {
		return invalidField(docsEnvSecrets, "Secret", "encrypted_value", "encrypted_value is not valid base64")
	}
	plain, ok := box.OpenAnonymous(nil, sealed, e.key.Pub, e.key.Priv)
	if !ok {
		return invalidField(docsEnvSecrets, "Secret", "encrypted_value", "encrypted_value could not be decrypted with the environment's public key")
	}
	if len(plain) > maxSecretSize {
		return invalidField(docsEnvSecrets, "Secret", "encrypted_value", "Secret values are limited to 48 KB")
	}
	if e.putSecret(name, plain, c.now) {
		return &reply{status: http.StatusCreated, body: map[string]any{}}
	}
	return &reply{status: http.StatusNoContent}
}

func (s *Server) deleteSecret(c *call) *reply {
	_, e, rep := c.env(docsEnvSecrets)
	if rep != nil {
		return rep
	}
	k := strings.ToUpper(c.param("secret_name"))
	if e.secrets[k] == nil {
		return notFound(docsEnvSecrets)
	}
	delete(e.secrets, k)
	return &reply{status: http.StatusNoContent}
}
