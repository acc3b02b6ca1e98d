// Package controller holds the SecurePipeline reconciler. Reconcile loads a pipeline, patches its status
// once at the end, handles deletion, suspension and repository ownership, then runs one sub-reconciler
// per concern (repository, workflow audit, repository settings, environments, credentials, DCO), each in
// its own file and each owning one condition. summary.go turns their outcomes into Ready, Reconciling and
// Stalled in one place.
package controller
