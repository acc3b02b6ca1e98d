// Package github is the only place in the operator that knows go-github and GitHub's wire protocol.
//
// It offers a small Client interface in the operator's own terms (environments, environment secrets,
// Actions settings, rulesets, workflow files), built by a Factory from a pipeline's credentials: a
// personal access token or a GitHub App installation. Underneath, every request goes through transports
// that keep an ETag cache (unchanged reads are 304s and cost no primary rate limit), serialise requests
// per token, honour x-ratelimit-* and retry-after, and record Prometheus metrics. Errors are typed so
// the reconciler can tell "a human must act" from "wait until" from "retry".
package github
