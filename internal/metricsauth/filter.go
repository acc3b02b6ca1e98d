package metricsauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// How long answers are cached, as controller-runtime's filter caches them: a token's review (either way) for
// a minute, an allowed access for five, a denied one for thirty seconds.
const (
	tokenTTL = time.Minute
	allowTTL = 5 * time.Minute
	denyTTL  = 30 * time.Second
	// A review the API server did not answer is tried again, at most this often and this long.
	reviewAttempts = 5
	reviewTimeout  = 10 * time.Second
	// cacheEntries bounds each cache: scrapers are few, so a full cache means someone is trying tokens.
	cacheEntries = 1024
)

// WithAuthenticationAndAuthorization is a metrics server FilterProvider (metricsserver.Options.FilterProvider).
func WithAuthenticationAndAuthorization(cfg *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationv1.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("building the TokenReview client for the metrics endpoint: %w", err)
	}
	authz, err := authorizationv1.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("building the SubjectAccessReview client for the metrics endpoint: %w", err)
	}
	g := newGuard(authn.TokenReviews(), authz.SubjectAccessReviews(), time.Now)
	return func(log logr.Logger, next http.Handler) (http.Handler, error) {
		return g.handler(log, next), nil
	}, nil
}

type tokenReviewer interface {
	Create(ctx context.Context, r *authnv1.TokenReview, opts metav1.CreateOptions) (*authnv1.TokenReview, error)
}

type accessReviewer interface {
	Create(ctx context.Context, r *authzv1.SubjectAccessReview, opts metav1.CreateOptions) (*authzv1.SubjectAccessReview, error)
}

type guard struct {
	tokens tokenReviewer
	access accessReviewer
	// Keyed by a SHA-256 of the token, and of the user and request: no token is kept.
	users   *ttlCache[authnResult]
	allowed *ttlCache[bool]
	// backoff is the first wait between attempts of a review; it grows by half each time.
	backoff time.Duration
}

type authnResult struct {
	ok   bool
	user authnv1.UserInfo
}

func newGuard(tokens tokenReviewer, access accessReviewer, now func() time.Time) *guard {
	return &guard{tokens: tokens, access: access, backoff: 500 * time.Millisecond,
		users: newTTLCache[authnResult](now), allowed: newTTLCache[bool](now)}
}

func (g *guard) handler(log logr.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token, ok := bearerToken(req.Header.Get("Authorization"))
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		user, ok, err := g.authenticate(req.Context(), token)
		if err != nil {
			log.Error(err, "Authentication failed")
			http.Error(w, "Authentication failed", http.StatusInternalServerError)
			return
		}
		if !ok {
			log.V(4).Info("Authentication failed")
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		verb := strings.ToLower(req.Method)
		allowed, err := g.authorize(req.Context(), user, verb, req.URL.Path)
		if err != nil {
			msg := fmt.Sprintf("Authorization for user %s failed", user.Username)
			log.Error(err, msg)
			http.Error(w, msg, http.StatusInternalServerError)
			return
		}
		if !allowed {
			msg := fmt.Sprintf("Authorization denied for user %s", user.Username)
			log.V(4).Info(msg, "verb", verb, "path", req.URL.Path)
			http.Error(w, msg, http.StatusForbidden)
			return
		}
		// The handler has no use for the token.
		req.Header.Del("Authorization")
		next.ServeHTTP(w, req)
	})
}

// bearerToken reads "Authorization: Bearer <token>" as the API server reads it.
func bearerToken(header string) (string, bool) {
	parts := strings.SplitN(strings.TrimSpace(header), " ", 3)
	if len(parts) < 2 || !strings.EqualFold(parts[0], "bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

func (g *guard) authenticate(ctx context.Context, token string) (authnv1.UserInfo, bool, error) {
	key := sha256.Sum256([]byte(token))
	if r, ok := g.users.get(key); ok {
		return r.user, r.ok, nil
	}
	var review *authnv1.TokenReview
	err := g.retry(ctx, func(ctx context.Context) (err error) {
		review, err = g.tokens.Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return authnv1.UserInfo{}, false, fmt.Errorf("creating a TokenReview: %w", err)
	}
	r := authnResult{ok: review.Status.Authenticated, user: review.Status.User}
	g.users.put(key, r, tokenTTL)
	return r.user, r.ok, nil
}

func (g *guard) authorize(ctx context.Context, user authnv1.UserInfo, verb, path string) (bool, error) {
	key := accessKey(user, verb, path)
	if allowed, ok := g.allowed.get(key); ok {
		return allowed, nil
	}
	extra := make(map[string]authzv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	var review *authzv1.SubjectAccessReview
	err := g.retry(ctx, func(ctx context.Context) (err error) {
		review, err = g.access.Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
			NonResourceAttributes: &authzv1.NonResourceAttributes{Path: path, Verb: verb},
		}}, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("creating a SubjectAccessReview for user %s: %w", user.Username, err)
	}
	allowed := review.Status.Allowed && !review.Status.Denied
	ttl := denyTTL
	if allowed {
		ttl = allowTTL
	}
	g.allowed.put(key, allowed, ttl)
	return allowed, nil
}

// accessKey hashes everything the access review is asked, each field length-prefixed so that no two
// different questions share a key.
func accessKey(user authnv1.UserInfo, verb, path string) [sha256.Size]byte {
	h := sha256.New()
	field := func(s string) { _, _ = fmt.Fprintf(h, "%d:%s", len(s), s) }
	field(user.Username)
	field(user.UID)
	field(verb)
	field(path)
	_, _ = fmt.Fprintf(h, "g%d", len(user.Groups))
	for _, g := range user.Groups {
		field(g)
	}
	keys := make([]string, 0, len(user.Extra))
	for k := range user.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	_, _ = fmt.Fprintf(h, "e%d", len(keys))
	for _, k := range keys {
		field(k)
		_, _ = fmt.Fprintf(h, "v%d", len(user.Extra[k]))
		for _, v := range user.Extra[k] {
			field(v)
		}
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// retry calls review until the API server answers, a few times with growing waits: a scrape that comes
// while the API server is briefly away should not fail for it.
func (g *guard) retry(ctx context.Context, review func(context.Context) error) error {
	wait := g.backoff
	var err error
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, reviewTimeout)
		err = review(callCtx)
		cancel()
		if err == nil || attempt == reviewAttempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait += wait / 2
	}
}

// ttlCache is a small map of answers that expire.
type ttlCache[V any] struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[[sha256.Size]byte]ttlEntry[V]
}

type ttlEntry[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[V any](now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{now: now, entries: map[[sha256.Size]byte]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(key [sha256.Size]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[V]) put(key [sha256.Size]byte, value V, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= cacheEntries {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= cacheEntries {
			// Every entry is live: someone is presenting tokens by the thousand. Start over rather than grow.
			clear(c.entries)
		}
	}
	c.entries[key] = ttlEntry[V]{value: value, expires: now.Add(ttl)}
}
