// Package metricsauth guards the manager's metrics endpoint as controller-runtime's
// metrics/filters.WithAuthenticationAndAuthorization does: a TokenReview authenticates the scraper's bearer
// token, a SubjectAccessReview authorizes its verb on the path (config/rbac/metrics_reader_role.yaml), and
// both answers are cached for a while. It talks to the two review APIs through client-go's typed clients
// instead of k8s.io/apiserver's delegating authenticator and authorizer, whose CEL, OpenTelemetry and
// konnectivity dependencies are about a seventh of the manager's binary and of its resident memory.
package metricsauth
