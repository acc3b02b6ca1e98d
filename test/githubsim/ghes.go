package githubsim

import (
	"encoding/json"
	"net/http"
)

// This file models a GitHub Enterprise Server older than the can_admins_bypass setting (GHES before
// 3.9 has no "Allow administrators to bypass configured protection rules" switch): its environment PUT
// refuses the key with the 422 of its JSON schema validation, and its environment answers omit the field.
// On github.com (the default) the field exists, defaults to true on create, and is reported.

// WithoutAdminBypassSetting makes the simulator behave like an older GitHub Enterprise Server that does
// not know can_admins_bypass.
func WithoutAdminBypassSetting() Option { return func(s *Server) { s.noAdminBypass = true } }

// unpermittedKeys is the 422 an older GHES answers when a request body holds a key its schema lacks.
func unpermittedKeys(raw map[string]json.RawMessage, keys ...string) *reply {
	for _, k := range keys {
		if _, ok := raw[k]; ok {
			return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\""+k+"\" is not a permitted key.", docsEnvs)
		}
	}
	return nil
}
