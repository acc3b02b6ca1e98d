// Package release verifies released container images: that each selected tag's digest carries a Sigstore
// bundle (cosign v3's OCI referrers, or GitHub's artifact attestations API) signed keylessly by the expected
// GitHub Actions workflow, and an SPDX/CycloneDX SBOM and SLSA provenance attestation by the same signer.
//
// It has no Kubernetes imports: the controller concern (internal/controller/release_verification.go), the
// securepipeline CLI's verify subcommand and the demo all use it. Registry access goes through
// go-containerregistry with a transport that sends credentials only to the image's registry and the token
// realms it is allowed to use; bundle verification goes through sigstore-go against a trusted root.
package release
