package github

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, exported so dashboards and tests spell them once.
const (
	// MetricRequests counts requests GitHub answered (or that failed on the network), by method, route
	// template and status code; "304" is a read served from the ETag cache, "error" is no answer.
	MetricRequests = "securepipeline_github_requests_total"
	// MetricRateLimitRemaining is the primary rate limit left per server and credentials identity, from
	// x-ratelimit-remaining.
	MetricRateLimitRemaining = "securepipeline_github_rate_limit_remaining"
	// MetricRateLimited counts requests a rate limit refused, by server, identity and kind ("primary" or
	// "secondary"): GitHub's own 403 and 429 limit answers, and requests refused without touching the
	// network while the hold they started lasts.
	MetricRateLimited = "securepipeline_github_rate_limited_total"
)

// metrics are the collectors one factory records into.
type metrics struct {
	requests  *prometheus.CounterVec
	remaining *prometheus.GaugeVec
	limited   *prometheus.CounterVec
}

// newMetrics registers the collectors with reg. A registry that already has them (a second factory in
// one process, as in tests) keeps its collectors and this factory shares them, instead of panicking.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "GitHub REST API requests by method, route template and status code (304: answered from the ETag cache; error: no answer).",
		}, []string{"method", "route", "code"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricRateLimitRemaining,
			Help: "GitHub primary rate limit remaining, per server and credentials identity.",
		}, []string{"server", "identity"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRateLimited,
			Help: "GitHub requests refused by a primary or secondary rate limit (GitHub's 403/429 answers, and requests refused locally while the hold lasts), per server and identity.",
		}, []string{"server", "identity", "kind"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.remaining, err = register(reg, m.remaining); err != nil {
		return nil, err
	}
	if m.limited, err = register(reg, m.limited); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector reg already has.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func rateKind(e *RateLimitError) string {
	if e.Secondary {
		return "secondary"
	}
	return "primary"
}
