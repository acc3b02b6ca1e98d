package github

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/nacl/box"
)

// SealedSecret is a value sealed for one environment's public key; only GitHub can open it.
type SealedSecret struct {
	KeyID string
	// EncryptedValue is the base64 of the libsodium sealed box.
	EncryptedValue string
}

// Seal encrypts value with the environment's public key as GitHub requires (a libsodium sealed box).
func Seal(key *PublicKey, value []byte) (SealedSecret, error) {
	out, err := box.SealAnonymous(nil, value, &key.Key, rand.Reader)
	if err != nil {
		return SealedSecret{}, fmt.Errorf("sealing a secret with key %s: %w", key.KeyID, err)
	}
	return SealedSecret{KeyID: key.KeyID, EncryptedValue: base64.StdEncoding.EncodeToString(out)}, nil
}
