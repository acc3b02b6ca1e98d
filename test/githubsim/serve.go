package githubsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// call is one GitHub API request being served.
type call struct {
	s      *Server
	r      *http.Request
	route  *route
	params []string
	// cred is the PAT or installation token used, nil for anonymous and
	// app-JWT requests; app is set for app-JWT requests.
	cred *credential
	app  *app
	// base is the API base URL as the client reached it, for "url" fields.
	base string
	now  time.Time
}

// reply is what a handler answers. body is marshalled to JSON; nil means no
// body (e.g. 204).
type reply struct {
	status int
	body   any
	header map[string]string
	// raw, if set, is sent verbatim with contentType instead of body.
	raw         []byte
	contentType string
}

func (c *call) param(name string) string {
	for i, n := range c.route.names {
		if n == name && i < len(c.params) {
			return c.params[i]
		}
	}
	return ""
}

// decode parses the JSON request body into v. An empty body leaves v
// untouched. Bad JSON answers 400 "Problems parsing JSON" as GitHub does.
func (c *call) decode(v any) *reply {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 4<<20))
	if err != nil {
		return errReply(http.StatusBadRequest, "Problems reading the request body", docsRoot)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON", docsRoot)
	}
	return nil
}

var requestSeq atomic.Int64

// serveHTTP is the request pipeline: admin dispatch, routing, faults,
// authentication, secondary and primary rate limits, the handler (under the
// state lock), conditional GET and logging.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") || r.URL.Path == "/_sim" {
		s.serveAdmin(w, r)
		return
	}
	start := time.Now()
	rec := RequestRecord{
		Method: r.Method, Path: r.URL.Path, Time: s.now(),
		Conditional: r.Header.Get("If-None-Match") != "",
		Token:       bearer(r),
	}
	defer func() {
		rec.Duration = time.Since(start)
		s.log.add(rec)
	}()

	// GitHub answers 404 for unknown paths and for unserved methods on known
	// paths alike, so the router's methodSeen is not needed here.
	rt, params, _ := s.router.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		rec.Status = http.StatusNotFound
		s.writeReply(w, errReply(http.StatusNotFound, "Not Found", docsRoot), nil)
		return
	}
	rec.Route = rt.key
	c := &call{s: s, r: r, route: rt, params: params, base: baseURL(r)}

	f := s.faults.take(rt.key)
	failing := f.Reset || f.SecondaryRateLimit || f.Status != 0
	// A failing fault's latency delays the failure; a latency-only fault
	// delays an admitted request (below), so it counts as in flight.
	if failing && !sleepCtx(r, f.Latency) {
		rec.Status = 0
		return
	}
	if f.Reset {
		rec.Status = 0
		resetConnection(w)
		return
	}

	id, authErr := s.authenticate(c)
	rl := s.limits.peek(id.key, id.limit, s.now())
	switch {
	case f.SecondaryRateLimit:
		retry := f.RetryAfter
		if retry <= 0 {
			retry = 60
		}
		rec.Status = http.StatusForbidden
		s.writeReply(w, secondaryLimitReply(retry), &rl)
		return
	case f.Status != 0:
		rec.Status = f.Status
		s.writeReply(w, errReply(f.Status, http.StatusText(f.Status), docsRoot), &rl)
		return
	case authErr != nil:
		rec.Status = authErr.status
		s.writeReply(w, authErr, &rl)
		return
	}

	charge := rt.Pattern != "/rate_limit" // GitHub does not count /rate_limit calls
	snap, denial := s.limits.begin(id.key, id.limit, charge, requestPoints(r.Method), s.now())
	if denial != nil {
		rec.Status = denial.status
		s.writeReply(w, denial, &snap)
		return
	}
	ended := false
	defer func() {
		if !ended { // client gone during latency, or a handler panic
			s.limits.end(id.key, id.limit, false, s.now())
		}
	}()
	if !sleepCtx(r, f.Latency) {
		rec.Status = 0
		return
	}
	c.now = s.now()
	rep := s.runHandler(c)
	conditional := r.Method == http.MethodGet && rep.status == http.StatusOK
	body, etag := marshalReply(rep)
	etag = s.tokenETag(etag, rec.Token)
	if !conditional {
		etag = "" // only successful GETs carry validators, as on GitHub
	}
	notModified := conditional && etagMatches(r.Header.Get("If-None-Match"), etag)
	// A 304 does not count against the primary budget, as on GitHub.
	snap = s.limits.end(id.key, id.limit, charge && notModified, s.now())
	ended = true
	if notModified {
		rep = &reply{status: http.StatusNotModified}
		body = nil
	}
	rec.Status = rep.status
	s.writeBody(w, rep, body, etag, &snap)
}

// sleepCtx waits d unless the client goes away first; it reports whether the
// request should go on.
func sleepCtx(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// runHandler runs the route's handler under the state lock: shared for
// reads, exclusive for writes.
func (s *Server) runHandler(c *call) *reply {
	if c.r.Method == http.MethodGet {
		s.mu.RLock()
		defer s.mu.RUnlock()
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if c.route.Handler == nil {
		return errReply(http.StatusNotFound, "Not Found", docsRoot)
	}
	return c.route.Handler(s, c)
}

func marshalReply(rep *reply) (body []byte, etag string) {
	b := rep.raw
	if b == nil {
		if rep.body == nil {
			return nil, ""
		}
		var err error
		if b, err = json.Marshal(rep.body); err != nil {
			// Handlers only build JSON-safe values; this is a simulator bug.
			panic("githubsim: marshalling a reply: " + err.Error())
		}
	}
	sum := sha256.Sum256(b)
	return b, `W/"` + hex.EncodeToString(sum[:16]) + `"`
}

// etagMatches implements If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	if header == "" || etag == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

func (s *Server) writeReply(w http.ResponseWriter, rep *reply, rl *rateSnapshot) {
	body, _ := marshalReply(rep)
	s.writeBody(w, rep, body, "", rl)
}

func (s *Server) writeBody(w http.ResponseWriter, rep *reply, body []byte, etag string, rl *rateSnapshot) {
	h := w.Header()
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", "SIM:"+strconv.FormatInt(requestSeq.Add(1), 10))
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if rl != nil {
		rl.setHeaders(h)
	}
	for k, v := range rep.header {
		h.Set(k, v)
	}
	if etag != "" {
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	}
	if body != nil {
		ct := rep.contentType
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(rep.status)
	if body != nil {
		_, _ = w.Write(body)
	}
}

// resetConnection closes the client connection without a response, so that
// the client sees a connection reset / EOF.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot be hijacked; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // send RST rather than FIN
	}
	_ = conn.Close()
}

// baseURL is the API root as the client addressed it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/"
}

// bearer returns the credential from "Authorization: Bearer X" or "token X".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if i := strings.IndexByte(h, ' '); i > 0 {
		switch strings.ToLower(h[:i]) {
		case "bearer", "token":
			return strings.TrimSpace(h[i+1:])
		}
	}
	return ""
}
