package controller

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/secure-pipeline/operator/internal/registry"
)

// status.registries[].fingerprint tells whether a registry's credential changed since it was pushed without
// revealing it: an HMAC-SHA-256 of the user name and password under a key of the pipeline's. A plain hash
// would let anyone who can read the pipeline (but not Secrets) test guesses of the password offline; the
// keyed one cannot be checked without the key.
//
// Where the key comes from. A random key per pipeline kept in a Secret of the pipeline's namespace would
// need the operator to create Secrets in every namespace, and a cluster-wide create on Secrets lets its
// holder mint a token for any ServiceAccount (a kubernetes.io/service-account-token Secret, which the token
// controller fills in): the project keeps the manager to reading Secrets (test/bundle checks it). So the
// key is derived, with HMAC-SHA-256, from the pipeline's UID and the secret material of its GitHub
// credentials Secret (the token, or the GitHub App's private key): high-entropy, per pipeline, already
// in a Secret that only those who may read Secrets in the namespace can read (and who could read the
// registry credentials themselves), and never stored anywhere else.
//
// The fingerprint carries a key id ("hmac-sha256:<key id>:<mac>"). When the GitHub credentials change
// (a new token), the key changes with them: the operator sees that the fingerprints no longer compare,
// pushes once more, and does not count it as a rotation.

const fingerprintPrefix = "hmac-sha256:"

// fingerprint returns the credential's fingerprint under the pipeline's key, deriving the key on first need
// in this run.
func (c *credentialRun) fingerprint(ctx context.Context, cred registry.Credential) (string, error) {
	if c.key == nil {
		// The key derives from the GitHub credentials the reconcile connected with (read now if
		// connecting did not need them).
		creds, err := c.r.credentials(ctx, c.s)
		if err != nil {
			return "", err
		}
		c.key = deriveFingerprintKey(creds.Token, creds.PrivateKey, c.s.p.UID)
	}
	return fingerprintOf(c.key, cred), nil
}

func fingerprintOf(key []byte, cred registry.Credential) string {
	id := hmac.New(sha256.New, key)
	id.Write([]byte("secure-pipeline fingerprint key id"))
	mac := hmac.New(sha256.New, key)
	// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
	for _, v := range []string{cred.Username, cred.Password} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		mac.Write(n[:])
		mac.Write([]byte(v))
	}
	return fingerprintPrefix + hex.EncodeToString(id.Sum(nil)[:4]) + ":" + hex.EncodeToString(mac.Sum(nil))
}

// fingerprintKeyID returns the key id of a fingerprint ("" for none or an unknown format).
func fingerprintKeyID(fp string) string {
	rest, ok := strings.CutPrefix(fp, fingerprintPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// deriveFingerprintKey is HMAC-SHA-256 keyed with the credentials' secret material over a label and the
// pipeline's UID.
func deriveFingerprintKey[U ~string](token string, privateKey []byte, uid U) []byte {
	material := append([]byte("token\x00"+token+"\x00app\x00"), privateKey...)
	mac := hmac.New(sha256.New, material)
	mac.Write([]byte("secure-pipeline registry credential fingerprint key v1\x00"))
	mac.Write([]byte(uid))
	return mac.Sum(nil)
}
