package github

import (
	"bytes"
	"compress/flate"
	"container/list"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultCacheBytes bounds what an identity's ETag cache holds (bodies and the headers kept with them).
// A resync of an unchanged repository is all 304s only while the cache holds every read of every
// pipeline sharing the identity: about 7 GETs of a few KiB each per repository, so 64 MiB serves
// thousands of repositories. Before it was bounded by bytes, a 1,024-entry bound made every read of a
// fleet past ~140 repositories a charged one.
const DefaultCacheBytes = 64 << 20

// maxCachedBody keeps one large workflow file from evicting everything else; larger bodies (as kept,
// compressed) are not cached.
const maxCachedBody = 1 << 20

// auditShare is the part of the cache the workflow audit's reads (git trees and blobs) may use. They are
// read once an hour per repository; kept apart, they evict each other and never the resyncs' entries.
const auditShare = 4 // one quarter

// entryOverhead approximates the bookkeeping of one entry (key, etag, list element) for the byte bound.
const entryOverhead = 256

// maxCachedTreeBody is the exception for git trees: a recursive listing of a repository with a few
// thousand files is over 1 MiB, and it is the one request an unchanged repository's audit costs, so it
// must be revalidated (304) rather than downloaded again.
const maxCachedTreeBody = 8 << 20

// cacheEntry is a successful GET's answer, replayed when GitHub says 304 Not Modified.
type cacheEntry struct {
	key  string
	path string
	etag string
	// header is the 200's headers as the transport hands them over; put keeps only what a replay needs
	// (kept, in keptHeaders' order, each header's first value) and drops the map, several hundred bytes
	// an entry.
	header http.Header
	kept   [len(keptHeaders)]string
	// body is the answer's body, DEFLATE-compressed when deflated (GitHub's JSON shrinks several times),
	// in a slice of exactly its length; rawLen is its length uncompressed.
	body     []byte
	deflated bool
	rawLen   int
}

// One DEFLATE writer for every cache, and a pool of readers. A writer holds about 1 MiB of state
// (compress/flate allocates its hash tables whatever the level), so a pool of them, one per reconcile in
// flight and kept across a garbage collection, held 3.4 MiB of a 1,000-repository manager's 32 MiB heap;
// compressing one answer takes microseconds, so sharing one costs nothing measurable. A fleet in its
// steady state is answered 304s and compresses nothing, so the writer is dropped after deflaterIdle
// unused and made again when an answer comes.
var (
	deflaterMu    sync.Mutex
	deflater      *flate.Writer
	deflaterTimer *time.Timer
	inflaters     = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// deflaterIdle is how long the shared writer is kept unused (a variable for its test).
var deflaterIdle = time.Minute

// deflate compresses body with the shared writer.
func deflate(body []byte) ([]byte, error) {
	deflaterMu.Lock()
	defer deflaterMu.Unlock()
	var buf bytes.Buffer
	buf.Grow(len(body) / 2)
	if deflater == nil {
		w, err := flate.NewWriter(&buf, flate.BestSpeed)
		if err != nil {
			return nil, err
		}
		deflater = w
	} else {
		deflater.Reset(&buf)
	}
	if deflaterTimer == nil {
		deflaterTimer = time.AfterFunc(deflaterIdle, dropDeflater)
	} else {
		deflaterTimer.Reset(deflaterIdle)
	}
	if _, err := deflater.Write(body); err != nil {
		return nil, err
	}
	if err := deflater.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// dropDeflater lets the shared writer go.
func dropDeflater() {
	deflaterMu.Lock()
	defer deflaterMu.Unlock()
	deflater = nil
}

// compact stores body in the entry as compactly as it goes: compressed if that saves at least a tenth,
// and never in a slice larger than its content (io.ReadAll's buffer may be twice the size).
func (e *cacheEntry) compact(body []byte) {
	e.rawLen = len(body)
	if z, err := deflate(body); err == nil && len(z) < len(body)-len(body)/10 {
		e.body, e.deflated = bytes.Clone(z), true
		return
	}
	e.body, e.deflated = bytes.Clone(body), false
}

// content returns the entry's body as GitHub sent it.
func (e *cacheEntry) content() ([]byte, error) {
	if !e.deflated {
		return e.body, nil
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(e.body), nil); err != nil {
		return nil, err
	}
	out := make([]byte, 0, e.rawLen)
	out, err := readAllInto(r, out)
	if err != nil || len(out) != e.rawLen {
		return nil, fmt.Errorf("inflating a cached answer: %v (%d of %d bytes)", err, len(out), e.rawLen)
	}
	return out, nil
}

// readAllInto is io.ReadAll into buf's spare capacity.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// keptHeaders are the headers a replayed answer needs besides its ETag (the entry's etag): go-github
// reads Link for pagination and the content type to decode; the rest (dozens of them on GitHub) would only
// take memory.
var keptHeaders = [...]string{"Content-Type", "Link", "Last-Modified"}

// jsonContentType is GitHub's content type for nearly every answer; entries share this one string.
const jsonContentType = "application/json; charset=utf-8"

// keep moves what a replay needs out of e.header, and lets the path share the key's bytes. GitHub sends
// each of the kept headers once.
func (e *cacheEntry) keep() {
	for i, h := range keptHeaders {
		v := e.header.Get(h)
		if v == jsonContentType {
			v = jsonContentType
		}
		e.kept[i] = v
	}
	e.header = nil
	if i := strings.Index(e.key, e.path); i >= 0 {
		e.path = e.key[i : i+len(e.path)]
	}
}

// replayHeader is the header of a replayed answer.
func (e *cacheEntry) replayHeader() http.Header {
	h := make(http.Header, len(keptHeaders)+1)
	for i, name := range keptHeaders {
		if v := e.kept[i]; v != "" {
			h[name] = []string{v}
		}
	}
	if e.etag != "" {
		h["Etag"] = []string{e.etag}
	}
	return h
}

// size is what an entry counts against the byte bound.
func (e *cacheEntry) size() int {
	n := len(e.body) + len(e.key) + len(e.etag) + entryOverhead
	for _, v := range e.kept {
		if v != jsonContentType {
			n += len(v)
		}
	}
	return n
}

// isAudit says whether an entry is one of the workflow audit's reads: the repository's git tree and
// blobs, and the contents API.
func (e *cacheEntry) isAudit() bool {
	return strings.Contains(e.path, "/git/trees/") || strings.Contains(e.path, "/git/blobs/") ||
		strings.Contains(e.path, "/contents/") || strings.HasSuffix(e.path, "/contents")
}

// etagCache is a per-identity LRU of GET answers keyed by URL and Accept header, bounded by bytes (and
// by entries when asked). It only ever serves an entry after GitHub has confirmed it with a 304, so a
// stale entry costs one full read, never a wrong one. The workflow audit's entries live in their own LRU
// of at most a quarter of the bytes.
type etagCache struct {
	mu sync.Mutex
	// max bounds the number of entries; 0: only bytes count.
	max      int
	maxBytes int
	bytes    int
	// auditBytes is the part of bytes in audit.
	auditBytes int
	order      *list.List // resync entries; front = most recently used; values are *cacheEntry
	audit      *list.List // the audit's entries, likewise
	entries    map[string]*list.Element
}

// newETagCache returns a cache of at most maxBytes (DefaultCacheBytes when 0 or less) and, when
// maxEntries is positive, at most that many entries.
func newETagCache(maxEntries int, maxBytes ...int) *etagCache {
	b := DefaultCacheBytes
	if len(maxBytes) > 0 && maxBytes[0] > 0 {
		b = maxBytes[0]
	}
	return &etagCache{max: max(maxEntries, 0), maxBytes: b, order: list.New(), audit: list.New(), entries: map[string]*list.Element{}}
}

// cacheKey identifies a GET: the full URL with its query (pages differ; the host too, should a redirect
// lead elsewhere) and, unless it is go-github's usual one, the Accept header (raw and JSON representations
// of a file differ). A NUL, which no URL holds, separates them.
func cacheKey(r *http.Request) string {
	if accept := r.Header.Get("Accept"); accept != defaultAccept {
		return r.URL.String() + "\x00" + accept
	}
	return r.URL.String()
}

// defaultAccept is the Accept header go-github sends unless a call asks for another.
const defaultAccept = "application/vnd.github.v3+json"

func (c *etagCache) get(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[key]
	if el == nil {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if e.isAudit() {
		c.audit.MoveToFront(el)
	} else {
		c.order.MoveToFront(el)
	}
	return e
}

func (c *etagCache) put(e *cacheEntry) {
	limit := maxCachedBody
	if strings.Contains(e.path, "/git/trees/") {
		limit = maxCachedTreeBody
	}
	// The bound is on what is kept: a 100-repository page of an organisation's listing is over 1 MiB of
	// JSON but a fraction of that compressed, and revalidating it saves a charged request per page.
	e.compact(e.body)
	if len(e.body) > limit {
		c.remove(e.key)
		return
	}
	e.keep()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(e.key)
	lru := c.order
	if e.isAudit() {
		lru = c.audit
		c.auditBytes += e.size()
	}
	c.entries[e.key] = lru.PushFront(e)
	c.bytes += e.size()
	for c.audit.Len() > 0 && c.auditBytes > c.maxBytes/auditShare {
		c.removeLocked(c.audit.Back().Value.(*cacheEntry).key)
	}
	for c.order.Len()+c.audit.Len() > 0 && (c.bytes > c.maxBytes || (c.max > 0 && len(c.entries) > c.max)) {
		// The audit's entries go first: a resync's entry is worth a charged read every sync period.
		back := c.audit.Back()
		if back == nil {
			back = c.order.Back()
		}
		c.removeLocked(back.Value.(*cacheEntry).key)
	}
}

func (c *etagCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
}

func (c *etagCache) removeLocked(key string) {
	if el := c.entries[key]; el != nil {
		e := el.Value.(*cacheEntry)
		if e.isAudit() {
			c.audit.Remove(el)
			c.auditBytes -= e.size()
		} else {
			c.order.Remove(el)
		}
		delete(c.entries, key)
		c.bytes -= e.size()
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
