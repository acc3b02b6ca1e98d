package github

import (
	"container/list"
	"net/http"
	"strings"
	"sync"
)

// defaultCacheEntries bounds an identity's ETag cache. A pipeline reads a few dozen URLs per repository
// (repository, environments, their branch policies and secrets, actions settings, rulesets, workflow
// files), so this holds a few dozen repositories' worth per credentials.
const defaultCacheEntries = 1024

// maxCachedBody keeps one large workflow file from evicting everything else; larger bodies are not cached.
const maxCachedBody = 1 << 20

// maxCachedTreeBody is the exception for git trees: a recursive listing of a repository with a few
// thousand files is over 1 MiB, and it is the one request an unchanged repository's audit costs, so it
// must be revalidated (304) rather than downloaded again.
const maxCachedTreeBody = 8 << 20

// maxCacheBytes bounds the bodies an identity's cache holds, whatever the number of entries.
const maxCacheBytes = 32 << 20

// cacheEntry is a successful GET's answer, replayed when GitHub says 304 Not Modified.
type cacheEntry struct {
	key  string
	path string
	etag string
	// header is the 200's headers without the x-ratelimit-* ones, which only describe that moment.
	header http.Header
	body   []byte
}

// etagCache is a per-identity LRU of GET answers keyed by URL and Accept header. It only ever serves an
// entry after GitHub has confirmed it with a 304, so a stale entry costs one full read, never a wrong one.
type etagCache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	order    *list.List // front = most recently used; values are *cacheEntry
	entries  map[string]*list.Element
}

func newETagCache(maxEntries int) *etagCache {
	if maxEntries <= 0 {
		maxEntries = defaultCacheEntries
	}
	return &etagCache{max: maxEntries, maxBytes: maxCacheBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// cacheKey identifies a GET: the full URL with its query (pages differ) and the Accept header (raw and
// JSON representations of a file differ).
func cacheKey(r *http.Request) string {
	return r.URL.String() + "\x00" + r.Header.Get("Accept")
}

func (c *etagCache) get(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[key]
	if el == nil {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

func (c *etagCache) put(e *cacheEntry) {
	limit := maxCachedBody
	if strings.Contains(e.path, "/git/trees/") {
		limit = maxCachedTreeBody
	}
	if len(e.body) > limit {
		c.remove(e.key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(e.key)
	c.entries[e.key] = c.order.PushFront(e)
	c.bytes += len(e.body)
	for c.order.Len() > c.max || c.bytes > c.maxBytes {
		c.removeLocked(c.order.Back().Value.(*cacheEntry).key)
	}
}

func (c *etagCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
}

func (c *etagCache) removeLocked(key string) {
	if el := c.entries[key]; el != nil {
		c.order.Remove(el)
		delete(c.entries, key)
		c.bytes -= len(el.Value.(*cacheEntry).body)
	}
}

// invalidate drops what a write to path may have changed: path itself, the list it belongs to (its
// parent), and everything below it (deleting an environment changes its branch policies and secrets).
// The next read is then a full one, so our own write is never answered from a revalidation that raced it.
func (c *etagCache) invalidate(path string) {
	path = strings.TrimSuffix(path, "/")
	parent := parentPath(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, el := range c.entries {
		p := el.Value.(*cacheEntry).path
		if p == path || p == parent || strings.HasPrefix(p, path+"/") {
			c.removeLocked(key)
		}
	}
}
