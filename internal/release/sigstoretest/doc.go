// Package sigstoretest is a test Sigstore for tests, benchmarks and the demo: a Fulcio-like certificate
// authority that issues short-lived certificates with a GitHub workflow URI SAN and GitHub's OIDC
// extensions (OIDs 1.3.6.1.4.1.57264.1.*), an RFC 3161 timestamp authority, the matching trusted_root.json,
// and helpers that build images with random layers and attach bundles as OCI referrers exactly as cosign v3
// does. It has no transparency log: sigstore-go's VirtualSigstore has one, but it does not compile against
// this module's golang.org/x/crypto, so bundles verify with signed timestamps (as a trusted root without
// logs allows).
package sigstoretest
