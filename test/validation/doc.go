// Package validation checks the SecurePipeline CRD's admission-time validation against a real
// kube-apiserver: every rule has a case that is accepted and a case that is refused, and a refusal
// must name the offending field.
package validation
