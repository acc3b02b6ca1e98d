package controller

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// credentialsFromSecret reads a GitHub credentials Secret: "token", or "appID", "installationID" and
// "privateKey". Errors name the keys, never the values.
func credentialsFromSecret(s *corev1.Secret) (githubapi.Credentials, error) {
	get := func(k string) string { return strings.TrimSpace(string(s.Data[k])) }
	if tok := get("token"); tok != "" {
		return githubapi.Credentials{Token: tok}, nil
	}
	appID, instID, key := get("appID"), get("installationID"), s.Data["privateKey"]
	if appID == "" && instID == "" && len(key) == 0 {
		return githubapi.Credentials{}, fmt.Errorf("it has neither a \"token\" key nor the GitHub App keys \"appID\", \"installationID\" and \"privateKey\"")
	}
	var missing []string
	for k, v := range map[string]string{"appID": appID, "installationID": instID, "privateKey": string(key)} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return githubapi.Credentials{}, fmt.Errorf("GitHub App credentials are incomplete: missing %s", strings.Join(sorted(missing), ", "))
	}
	a, err := strconv.ParseInt(appID, 10, 64)
	if err != nil || a <= 0 {
		return githubapi.Credentials{}, fmt.Errorf("key \"appID\" must be a positive number")
	}
	i, err := strconv.ParseInt(instID, 10, 64)
	if err != nil || i <= 0 {
		return githubapi.Credentials{}, fmt.Errorf("key \"installationID\" must be a positive number")
	}
	return githubapi.Credentials{AppID: a, InstallationID: i, PrivateKey: key}, nil
}

// idCache remembers reviewer logins and team slugs resolved to GitHub ids for a while: they almost never
// change, and resolving them on every resync would spend requests for nothing.
type idCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]idEntry
}

type idEntry struct {
	id      int64
	expires time.Time
}

func newIDCache(ttl time.Duration) *idCache {
	return &idCache{ttl: ttl, entries: map[string]idEntry{}}
}

func (c *idCache) get(key string, now time.Time) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		return 0, false
	}
	return e.id, true
}

func (c *idCache) put(key string, id int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = idEntry{id: id, expires: now.Add(c.ttl)}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
