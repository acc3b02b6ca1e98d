package controller

import (
	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/registry"
)

// maxSecretValue is GitHub's limit on a secret's value ("Secrets are limited to 48 KB in size").
const maxSecretValue = 48 * 1024

// checkCredentialSize refuses a credential GitHub would refuse, before either half of the pair is pushed:
// GitHub's own 422 names neither the Kubernetes Secret nor the spec field, and would come after the user
// name was already replaced, leaving a pair that does not match.
func checkCredentialSize(p *civ1alpha1.SecurePipeline, i int, cred registry.Credential) error {
	reg := &p.Spec.Registries[i]
	for _, part := range []struct {
		what  string
		value string
	}{{"user name", cred.Username}, {"password", cred.Password}} {
		if len(part.value) > maxSecretValue {
			return stallingLocal(civ1alpha1.CredentialTooLargeReason,
				"registry %s (spec.registries[%d].credentialsSecretRef): the %s in Secret %s/%s is %d bytes, more than the %d bytes (48 KB) GitHub allows in a secret; nothing was pushed: store a smaller credential",
				reg.Name, i, part.what, p.Namespace, reg.CredentialsSecretRef.Name, len(part.value), maxSecretValue)
		}
	}
	return nil
}
