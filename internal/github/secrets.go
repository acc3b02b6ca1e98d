package github

import (
	"context"
	"encoding/base64"
	"fmt"

	gogithub "github.com/google/go-github/v60/github"
)

// Environment secrets use go-github v60's /repositories/{repository_id}/environments/{environment_name}/...
// form, which is why these methods take the repository id.

// EnvironmentPublicKey implements Client.
func (c *client) EnvironmentPublicKey(ctx context.Context, repoID int64, env string) (*PublicKey, error) {
	k, _, err := c.gh.Actions.GetEnvPublicKey(ctx, int(repoID), esc(env))
	if err != nil {
		return nil, fail(err, "reading the secrets public key of environment %q of repository %d", env, repoID)
	}
	raw, err := base64.StdEncoding.DecodeString(k.GetKey())
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("reading the secrets public key of environment %q of repository %d: GitHub sent key %s, which is not 32 base64-encoded bytes",
			env, repoID, k.GetKeyID())
	}
	out := &PublicKey{KeyID: k.GetKeyID()}
	copy(out.Key[:], raw)
	return out, nil
}

// ListEnvironmentSecrets implements Client.
func (c *client) ListEnvironmentSecrets(ctx context.Context, repoID int64, env string) ([]SecretMetadata, error) {
	var out []SecretMetadata
	opts := &gogithub.ListOptions{PerPage: perPage}
	for page := 1; page <= maxPages; page++ {
		opts.Page = page
		secrets, resp, err := c.gh.Actions.ListEnvSecrets(ctx, int(repoID), esc(env), opts)
		if err != nil {
			return nil, fail(err, "listing the secrets of environment %q of repository %d", env, repoID)
		}
		for _, s := range secrets.Secrets {
			out = append(out, SecretMetadata{Name: s.Name, CreatedAt: s.CreatedAt.Time, UpdatedAt: s.UpdatedAt.Time})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
	}
	return nil, fmt.Errorf("listing the secrets of environment %q of repository %d: more than %d pages", env, repoID, maxPages)
}

// PutEnvironmentSecret implements Client. The sealed value is sent and forgotten: it is never logged
// or put in an error.
func (c *client) PutEnvironmentSecret(ctx context.Context, repoID int64, env, name string, sealed SealedSecret) error {
	_, err := c.gh.Actions.CreateOrUpdateEnvSecret(ctx, int(repoID), esc(env), &gogithub.EncryptedSecret{
		Name: esc(name), KeyID: sealed.KeyID, EncryptedValue: sealed.EncryptedValue,
	})
	if err != nil {
		return fail(err, "writing secret %s of environment %q of repository %d", name, env, repoID)
	}
	return nil
}

// DeleteEnvironmentSecret implements Client.
func (c *client) DeleteEnvironmentSecret(ctx context.Context, repoID int64, env, name string) error {
	_, err := c.gh.Actions.DeleteEnvSecret(ctx, int(repoID), esc(env), esc(name))
	if ignoreNotFound(err) != nil {
		return fail(err, "deleting secret %s of environment %q of repository %d", name, env, repoID)
	}
	return nil
}
