package testenv

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SecretReads returns how many times the operator started by StartOperator read a Secret uncached (the
// pipeline reconciler's reads; the API server serves each one).
func (e *Env) SecretReads(key client.ObjectKey) int {
	return e.secretReads.get(key)
}

type secretReadCounter struct {
	mu     sync.Mutex
	counts map[client.ObjectKey]int
}

func (c *secretReadCounter) add(key client.ObjectKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[client.ObjectKey]int{}
	}
	c.counts[key]++
}

func (c *secretReadCounter) get(key client.ObjectKey) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// countingReader counts the Secret Gets it passes on.
type countingReader struct {
	client.Reader
	counts *secretReadCounter
}

func (r *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Secret); ok {
		r.counts.add(key)
	}
	return r.Reader.Get(ctx, key, obj, opts...)
}
