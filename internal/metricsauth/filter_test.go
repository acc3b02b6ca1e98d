package metricsauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"  Bearer abc  ", "abc", true},
		{"Bearer abc def", "abc", true}, // as the API server reads it: the second field
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer  abc", "", false}, // two spaces: an empty second field
		{"Basic YWxpY2U6cHc=", "", false},
		{"", "", false},
		{"abc", "", false},
	} {
		token, ok := bearerToken(tc.header)
		if token != tc.token || ok != tc.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

func TestAccessKeyTellsEveryQuestionApart(t *testing.T) {
	base := authnv1.UserInfo{Username: "system:serviceaccount:monitoring:prometheus", UID: "u1",
		Groups: []string{"system:serviceaccounts", "system:authenticated"}, Extra: map[string]authnv1.ExtraValue{"k": {"v"}}}
	variants := map[string]func(u *authnv1.UserInfo) (verb, path string){
		"base":       func(u *authnv1.UserInfo) (string, string) { return "get", "/metrics" },
		"other verb": func(u *authnv1.UserInfo) (string, string) { return "post", "/metrics" },
		"other path": func(u *authnv1.UserInfo) (string, string) { return "get", "/metrics/x" },
		"other user": func(u *authnv1.UserInfo) (string, string) { u.Username += "x"; return "get", "/metrics" },
		"other uid":  func(u *authnv1.UserInfo) (string, string) { u.UID = "u2"; return "get", "/metrics" },
		"groups joined": func(u *authnv1.UserInfo) (string, string) {
			u.Groups = []string{"system:serviceaccountssystem:authenticated"}
			return "get", "/metrics"
		},
		"one group fewer": func(u *authnv1.UserInfo) (string, string) { u.Groups = u.Groups[:1]; return "get", "/metrics" },
		"group to extra": func(u *authnv1.UserInfo) (string, string) {
			u.Groups = nil
			u.Extra = map[string]authnv1.ExtraValue{"system:serviceaccounts": {"system:authenticated"}, "k": {"v"}}
			return "get", "/metrics"
		},
		"no extra": func(u *authnv1.UserInfo) (string, string) { u.Extra = nil; return "get", "/metrics" },
		"extra value": func(u *authnv1.UserInfo) (string, string) {
			u.Extra = map[string]authnv1.ExtraValue{"k": {"w"}}
			return "get", "/metrics"
		},
		"user/uid shifted": func(u *authnv1.UserInfo) (string, string) {
			u.Username, u.UID = u.Username+"u", "1"
			return "get", "/metrics"
		},
		"verb into path": func(u *authnv1.UserInfo) (string, string) { return "ge", "t/metrics" },
	}
	seen := map[[32]byte]string{}
	for name, mutate := range variants {
		u := base
		u.Groups = append([]string(nil), base.Groups...)
		verb, path := mutate(&u)
		key := accessKey(u, verb, path)
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q share a cache key", name, other)
		}
		seen[key] = name
	}
	// The order of the extra map does not matter; the same question has the same key.
	a := authnv1.UserInfo{Username: "x", Extra: map[string]authnv1.ExtraValue{"a": {"1"}, "b": {"2"}, "c": {"3"}}}
	if accessKey(a, "get", "/metrics") != accessKey(a, "get", "/metrics") {
		t.Error("the same question got two keys")
	}
}

func TestTTLCacheExpiresAndStaysBounded(t *testing.T) {
	g := NewWithT(t)
	now := time.Unix(1000, 0)
	c := newTTLCache[bool](func() time.Time { return now })
	k := [32]byte{1}
	c.put(k, true, time.Minute)
	v, ok := c.get(k)
	g.Expect(ok && v).To(BeTrue())
	now = now.Add(time.Minute)
	_, ok = c.get(k)
	g.Expect(ok).To(BeFalse(), "an answer is gone when its time is up")

	for i := range 3 * cacheEntries {
		c.put([32]byte{byte(i), byte(i >> 8), 2}, true, time.Hour)
		g.Expect(len(c.entries)).To(BeNumerically("<=", cacheEntries))
	}
}

// reviews answers the two review APIs from tables, and counts.
type reviews struct {
	users                  map[string]authnv1.UserInfo // token -> user
	allow                  map[string]bool             // user -> may GET /metrics
	failures               int                         // so many calls fail before one answers
	tokenCalls, accessCall int
	lastAccess             authzv1.SubjectAccessReviewSpec
}

func (r *reviews) fail() error {
	if r.failures > 0 {
		r.failures--
		return errors.New("connection refused")
	}
	return nil
}

type tokenReviews struct{ *reviews }

func (r tokenReviews) Create(_ context.Context, tr *authnv1.TokenReview, _ metav1.CreateOptions) (*authnv1.TokenReview, error) {
	r.tokenCalls++
	if err := r.fail(); err != nil {
		return nil, err
	}
	u, ok := r.users[tr.Spec.Token]
	return &authnv1.TokenReview{Status: authnv1.TokenReviewStatus{Authenticated: ok, User: u}}, nil
}

type accessReviews struct{ *reviews }

func (r accessReviews) Create(_ context.Context, sar *authzv1.SubjectAccessReview, _ metav1.CreateOptions) (*authzv1.SubjectAccessReview, error) {
	r.accessCall++
	if err := r.fail(); err != nil {
		return nil, err
	}
	r.lastAccess = sar.Spec
	a := sar.Spec.NonResourceAttributes
	allowed := r.allow[sar.Spec.User] && a != nil && a.Path == "/metrics" && a.Verb == "get"
	return &authzv1.SubjectAccessReview{Status: authzv1.SubjectAccessReviewStatus{Allowed: allowed}}, nil
}

func TestGuardAnswersAndCaches(t *testing.T) {
	g := NewWithT(t)
	r := &reviews{
		users: map[string]authnv1.UserInfo{"good": {Username: "prometheus", Groups: []string{"g"}, Extra: map[string]authnv1.ExtraValue{"k": {"v"}}},
			"other": {Username: "intruder"}},
		allow: map[string]bool{"prometheus": true},
	}
	now := time.Unix(1000, 0)
	guard := newGuard(tokenReviews{r}, accessReviews{r}, func() time.Time { return now })
	guard.backoff = time.Millisecond
	var sawAuthorization []string
	h := guard.handler(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sawAuthorization = append(sawAuthorization, req.Header.Get("Authorization"))
		_, _ = w.Write([]byte("metrics"))
	}))
	get := func(path, auth string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	g.Expect(get("/metrics", "")).To(Equal(http.StatusUnauthorized))
	g.Expect(r.tokenCalls).To(Equal(0), "no token, no review")
	g.Expect(get("/metrics", "Bearer wrong")).To(Equal(http.StatusUnauthorized))
	g.Expect(get("/metrics", "Bearer other")).To(Equal(http.StatusForbidden))
	g.Expect(get("/metrics", "Bearer good")).To(Equal(http.StatusOK))
	g.Expect(sawAuthorization).To(Equal([]string{""}), "the token does not reach the metrics handler")
	g.Expect(r.lastAccess.User).To(Equal("prometheus"))
	g.Expect(r.lastAccess.Groups).To(Equal([]string{"g"}))
	g.Expect(r.lastAccess.Extra).To(HaveKeyWithValue("k", authzv1.ExtraValue{"v"}))
	g.Expect(get("/other", "Bearer good")).To(Equal(http.StatusForbidden), "the path is part of the question")
	g.Expect(r.tokenCalls).To(Equal(3))
	g.Expect(r.accessCall).To(Equal(3))

	// Answers are cached: a scrape every 30 s costs no review within the TTLs.
	for range 5 {
		g.Expect(get("/metrics", "Bearer good")).To(Equal(http.StatusOK))
		g.Expect(get("/metrics", "Bearer wrong")).To(Equal(http.StatusUnauthorized))
		g.Expect(get("/metrics", "Bearer other")).To(Equal(http.StatusForbidden))
	}
	g.Expect(r.tokenCalls).To(Equal(3))
	g.Expect(r.accessCall).To(Equal(3))

	// A denial is asked again after 30 s, an allowance after 5 min, a token after a minute.
	now = now.Add(denyTTL)
	g.Expect(get("/metrics", "Bearer other")).To(Equal(http.StatusForbidden))
	g.Expect(get("/metrics", "Bearer good")).To(Equal(http.StatusOK))
	g.Expect(r.tokenCalls).To(Equal(3))
	g.Expect(r.accessCall).To(Equal(4))
	now = now.Add(tokenTTL)
	r.allow["prometheus"] = false // its binding was removed
	g.Expect(get("/metrics", "Bearer good")).To(Equal(http.StatusOK), "the allowance stands for 5 minutes")
	g.Expect(r.tokenCalls).To(Equal(4))
	now = now.Add(allowTTL)
	g.Expect(get("/metrics", "Bearer good")).To(Equal(http.StatusForbidden))

	// An API server that does not answer at once is asked again; one that never answers is a 500.
	r.failures = 2
	g.Expect(get("/metrics", "Bearer new")).To(Equal(http.StatusUnauthorized))
	r.failures = 100
	g.Expect(get("/metrics", "Bearer newer")).To(Equal(http.StatusInternalServerError))
}
