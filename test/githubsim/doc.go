// Package githubsim is an in-process simulator of the subset of GitHub's REST
// API that the secure-pipeline operator uses: repositories, deployment
// environments with protection rules and branch policies, encrypted
// environment secrets, repository Actions settings, rulesets, contents, and
// the git trees and blobs of the default branch.
//
// It exists so that the operator's GitHub client, the reconciler tests, the
// e2e suite and demos can run without reaching github.com. It reproduces the
// parts of GitHub's behaviour a client must cope with: status codes, error
// shapes, ETag/If-None-Match, primary and secondary rate limits, the GitHub
// App installation token flow, and injected faults (latency, 5xx, connection
// resets, secondary-rate-limit bursts).
//
// A simulator is created with New, seeded through Go methods (AddRepo,
// AddToken, ...) or the admin HTTP API under /_sim/, and started with Start:
//
//	sim := githubsim.New().Start()
//	defer sim.Close()
//	sim.AddRepo("acme", "widgets")
//	sim.AddToken("ghp_test", "acme/widgets")
//	// point a GitHub client at sim.URL() with token ghp_test
//
// Tests then assert what "GitHub" holds through Environment, SecretValue,
// Rulesets, ... and simulate a human editing GitHub with UpdateEnvironment,
// SetSecretValue and friends. The served operations are listed by
// ServedOperations and checked against GitHub's official OpenAPI description
// by the contract test.
package githubsim
