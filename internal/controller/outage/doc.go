// Package outage holds tests that stop and restart the test control plane's API server, which the other
// suites share and so cannot do: a Secret changed right after an API-server outage reaches GitHub within
// seconds, not after client-go's reflector backoff.
package outage
