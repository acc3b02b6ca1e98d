// Package sigstore tests release verification against a trusted root with a transparency log: sigstore-go's
// VirtualSigstore logs the entries (Rekor v1 bodies, signed entry timestamps, inclusion proofs and
// checkpoints), internal/release/sigstoretest issues the GitHub certificates and timestamps.
//
// It is a Go module of its own because VirtualSigstore reaches golang.org/x/crypto/openpgp through rekor,
// which the main module's x/crypto v0.59.0 no longer has: this module pins x/crypto back (replace in
// go.mod), the main module does not. `make test` runs it too.
package sigstore
