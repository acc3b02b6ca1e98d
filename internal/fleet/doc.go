// Package fleet is the SecurePipelineSet's pure logic: which of an organisation's repositories a
// selector matches, and what each repository's child SecurePipeline is called. It calls neither
// Kubernetes nor GitHub, so its table tests run with plain go test.
package fleet
