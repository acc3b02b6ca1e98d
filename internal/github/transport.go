package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// maxBody bounds a response read into memory. Every body is read whole so the identity's request slot
// is freed only once GitHub has finished answering, and so GETs can be cached.
const maxBody = 32 << 20

// tokenRoute is where GitHub App installation tokens are minted (by ghinstallation, below this transport).
const tokenRoute = "/app/installations/{installation_id}/access_tokens"

// apiTransport sits under go-github and does, for every request of one identity, in this order:
//
//  1. fail fast with *RateLimitError while a rate-limit hold lasts, without touching the network;
//  2. wait for the identity's single request slot (GitHub asks clients not to send concurrent requests);
//  3. make GETs conditional on a cached ETag, and answer a 304 with the cached body as a 200; a 200's
//     body is first cut to the shape the caller decodes (shape.go), and that is what is cached;
//  4. send through next, which adds the credentials;
//  5. read x-ratelimit-* and hold the identity when the primary limit runs low or GitHub says a
//     primary or secondary limit is hit;
//  6. turn every other non-2xx answer into *APIError, count the request, and drop writes' cached reads.
//
// It never retries: the reconciler's requeue with backoff is the retry. It never logs, and its errors
// hold neither request bodies (they carry sealed secrets) nor headers (they carry credentials).
type apiTransport struct {
	next     http.RoundTripper
	id       *identityState
	basePath string
	// floor is the primary remaining count below which requests stop until the reset (at least 1).
	floor int
	// timeout bounds the exchange with GitHub once it is this request's turn (0: none).
	timeout time.Duration
	now     func() time.Time
	metrics *metrics
	// budget paces the identity's requests (budget.go); nil: no pacing.
	budget        *budget
	budgetMetrics *budgetMetrics
}

// RoundTrip implements http.RoundTripper; see apiTransport for what it does.
func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method, route := req.Method, routeTemplate(t.basePath, req.URL)
	if err := t.admit(); err != nil {
		closeRequestBody(req)
		return nil, err
	}
	if err := t.spend(req, method == http.MethodGet && t.id.cache.get(cacheKey(req)) != nil); err != nil {
		closeRequestBody(req)
		return nil, fmt.Errorf("waiting for %s's request budget to call GitHub %s %s: %w", t.id.label, method, route, err)
	}
	if err := t.id.acquire(req.Context()); err != nil {
		closeRequestBody(req)
		return nil, fmt.Errorf("waiting for %s's turn to call GitHub %s %s: %w", t.id.label, method, route, err)
	}
	defer t.id.release()
	// A request that finished while this one waited may have hit a limit.
	if err := t.admit(); err != nil {
		closeRequestBody(req)
		return nil, err
	}

	out, key, cached := req, "", (*cacheEntry)(nil)
	if t.timeout > 0 {
		// Only the exchange is timed: waiting for the turn is bounded by the caller's context, so many
		// pipelines sharing one App installation queue instead of timing out. The body is read before
		// cancel runs.
		ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
		defer cancel()
		out = req.WithContext(ctx)
	}
	if method == http.MethodGet {
		key = cacheKey(req)
		if cached = t.id.cache.get(key); cached != nil {
			out = out.Clone(out.Context())
			out.Header.Set("If-None-Match", cached.etag)
		}
	} else {
		// Whatever the outcome, a write may have changed what cached reads describe.
		defer t.id.cache.invalidate(req.URL.EscapedPath())
	}

	resp, err := t.next.RoundTrip(out)
	if err != nil {
		return nil, t.noAnswer(method, route, err)
	}
	body, err := readBody(resp)
	if err != nil {
		t.count(method, route, "error")
		return nil, fmt.Errorf("reading GitHub's answer to %s %s: %w", method, route, err)
	}
	now := t.now()
	t.observeRate(resp.Header, now)
	if t.budget != nil {
		t.budget.observe(resp.Header)
	}

	switch code := resp.StatusCode; {
	case code == http.StatusNotModified && cached != nil:
		t.count(method, route, "304")
		replay, err := cached.response(req)
		if err != nil {
			t.id.cache.remove(key)
			return nil, fmt.Errorf("replaying the cached answer to %s %s: %w", method, route, err)
		}
		return replay, nil
	case code >= 200 && code < 300:
		t.count(method, route, strconv.Itoa(code))
		stripRateHeaders(resp.Header)
		if method == http.MethodGet && code == http.StatusOK {
			body = cutToShape(answerType(req.Context()), resp.Header.Get("Content-Type"), body)
			resp.Header.Del("Content-Length") // GitHub's, of the whole answer; ContentLength is set below
		}
		if etag := resp.Header.Get("ETag"); method == http.MethodGet && code == http.StatusOK && etag != "" {
			t.id.cache.put(&cacheEntry{key: key, path: req.URL.EscapedPath(), etag: etag, header: resp.Header.Clone(), body: body})
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return resp, nil
	case code >= 300 && code < 400 && code != http.StatusNotModified && resp.Header.Get("Location") != "":
		// Let http.Client follow it (a duplicate branch policy answers 303 to the existing one).
		t.count(method, route, strconv.Itoa(code))
		stripRateHeaders(resp.Header)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	default:
		t.count(method, route, strconv.Itoa(code))
		if key != "" {
			t.id.cache.remove(key)
		}
		if until, secondary, ok := rateLimitAnswer(code, resp.Header, body, now); ok {
			return nil, t.limitedByGitHub(until, secondary)
		}
		return nil, newAPIError(method, route, req.URL.EscapedPath(), code, body)
	}
}

// admit refuses a request while the identity is held, counting the refusal.
func (t *apiTransport) admit() error {
	if err := t.id.admit(t.now()); err != nil {
		t.metrics.limited.WithLabelValues(t.id.server, t.id.label, rateKind(err)).Inc()
		return err
	}
	return nil
}

// limitedByGitHub holds the identity after GitHub answered a request with a rate limit, and counts that
// answer: it is a request the limit refused, as much as one refused here.
func (t *apiTransport) limitedByGitHub(until time.Time, secondary bool) *RateLimitError {
	err := t.id.hold(until, secondary)
	t.metrics.limited.WithLabelValues(t.id.server, t.id.label, rateKind(&RateLimitError{Secondary: secondary})).Inc()
	return err
}

// observeRate publishes x-ratelimit-remaining and holds the identity until the reset once fewer than
// floor requests are left, so the operator never spends the last of a budget humans share with it.
// Every request is held, even reads that might be answered 304 for free: predictable beats clever here.
func (t *apiTransport) observeRate(h http.Header, now time.Time) {
	r := parseRate(h)
	if !r.ok {
		return
	}
	t.metrics.remaining.WithLabelValues(t.id.server, t.id.label).Set(float64(r.remaining))
	if r.remaining < t.floor && r.reset.After(now) {
		_ = t.id.hold(r.reset, false) // this answer itself succeeded; the requests after it are held
	}
}

// noAnswer maps a failure below this transport. ghinstallation reports GitHub's refusal to mint an
// installation token as an error carrying the response: that becomes the *APIError it is (401 for a
// wrong key, 404 for an unknown installation). Anything else is a network error, left wrapped.
func (t *apiTransport) noAnswer(method, route string, err error) error {
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		body, _ := readBody(he.Response)
		code := he.Response.StatusCode
		t.count(http.MethodPost, tokenRoute, strconv.Itoa(code))
		if until, secondary, ok := rateLimitAnswer(code, he.Response.Header, body, t.now()); ok {
			return t.limitedByGitHub(until, secondary)
		}
		return newAPIError(http.MethodPost, tokenRoute, tokenRoute, code, body)
	}
	t.count(method, route, "error")
	return fmt.Errorf("GitHub %s %s: no answer: %w", method, route, err)
}

func (t *apiTransport) count(method, route, code string) {
	t.metrics.requests.WithLabelValues(method, route, code).Inc()
}

// response replays a cached 200 for a request GitHub answered 304.
func (e *cacheEntry) response(req *http.Request) (*http.Response, error) {
	body, err := e.content()
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: e.replayHeader(), Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}

func readBody(resp *http.Response) ([]byte, error) {
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	return b, nil
}

// closeRequestBody honours RoundTrip's contract to close the body even when the request is not sent.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// newAPIError reads GitHub's error JSON ({"message", "errors": [...]}). route is the template; path is
// the escaped path, used in its place when the template is unknown.
func newAPIError(method, route, path string, code int, body []byte) *APIError {
	if route == routeOther {
		route = path
	}
	var e struct {
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Message == "" {
		e.Message = http.StatusText(code)
	}
	out := &APIError{Method: method, Route: method + " " + route, StatusCode: code, Message: e.Message}
	for _, raw := range e.Errors {
		if d := errorDetail(raw); d != "" {
			out.Errors = append(out.Errors, d)
		}
	}
	return out
}

// errorDetail flattens one errors[] entry: GitHub sends plain strings or {resource, field, code, message}.
func errorDetail(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var d struct {
		Resource, Field, Code, Message string
	}
	if json.Unmarshal(raw, &d) != nil {
		return ""
	}
	what := d.Message
	if what == "" {
		what = d.Code
	}
	switch {
	case d.Resource != "" && d.Field != "":
		return d.Resource + "." + d.Field + ": " + what
	case d.Field != "":
		return d.Field + ": " + what
	}
	return what
}
