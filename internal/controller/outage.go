package controller

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// After an API-server outage, a Secret changed right after the API server returns must reach GitHub within
// seconds. The Secret watch cannot promise that: while the API server is away, client-go's reflector backs
// off up to 30 s (plus as much jitter), so it may reconnect a minute after the API server is back, and
// until then a rotated credential waits. secretCatchUp closes that gap: it notices the API server coming
// back (its /readyz, probed every second), and until the Secret informer has caught up it lists, every
// second, the metadata of the Secrets in the pipelines' namespaces (uncached, without body logging) and
// reconciles each pipeline whose referenced Secret differs from what the cache holds, telling the reconciler
// the version it saw, so that the reconcile reads the Secret instead of trusting the stale cache
// (secret_reads.go).

const (
	// outageProbeInterval is how often the API server's readiness is probed, and how often the Secrets
	// are compared while catching up.
	outageProbeInterval = time.Second
	// maxCatchUp bounds a catch-up if the informer never reports having caught up.
	maxCatchUp = 3 * time.Minute
)

// secretCatchUp is a manager runnable; see above.
type secretCatchUp struct {
	r        *SecurePipelineReconciler
	cache    cache.Cache
	probe    func(ctx context.Context) error
	events   chan event.GenericEvent
	interval time.Duration
}

func newSecretCatchUp(r *SecurePipelineReconciler, mgr ctrl.Manager) (*secretCatchUp, error) {
	u, _, err := rest.DefaultServerUrlFor(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("finding the API server's URL: %w", err)
	}
	u.Path = "/readyz"
	httpClient := mgr.GetHTTPClient()
	return &secretCatchUp{
		r: r, cache: mgr.GetCache(), events: make(chan event.GenericEvent, 1024), interval: outageProbeInterval,
		probe: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return err
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				return err
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("the API server's /readyz answered %d", resp.StatusCode)
			}
			return nil
		},
	}, nil
}

// NeedLeaderElection: only the leader reconciles, so only it needs to catch up.
func (c *secretCatchUp) NeedLeaderElection() bool { return true }

// Start probes until ctx ends.
func (c *secretCatchUp) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("secret-catch-up")
	t := time.NewTicker(c.interval)
	defer t.Stop()
	var (
		down       bool
		catchingUp time.Time
		seen       map[types.NamespacedName]string
	)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := c.probe(ctx); err != nil {
			if !down {
				log.Info("the API server is unreachable; the Secrets will be compared with the cache when it is back", "error", err.Error())
			}
			down = true
			continue
		}
		if down {
			down, catchingUp, seen = false, time.Now(), map[types.NamespacedName]string{}
			log.Info("the API server is back; comparing referenced Secrets with the cache until the Secret watch has caught up")
		}
		if catchingUp.IsZero() {
			continue
		}
		done, err := c.compare(ctx, seen)
		if err != nil {
			log.V(1).Info("comparing Secrets with the cache failed; trying again", "error", err.Error())
			continue
		}
		if done || time.Since(catchingUp) > maxCatchUp {
			catchingUp = time.Time{}
			c.r.secretReads.settle(func(key types.NamespacedName) string { return secretVersionIn(ctx, c.cache, key) })
			log.Info("the Secret watch has caught up")
		}
	}
}

// compare reconciles the pipelines whose referenced Secrets differ from the cache (once per version seen),
// and says whether the Secret informer has caught up with the API server.
func (c *secretCatchUp) compare(ctx context.Context, seen map[types.NamespacedName]string) (bool, error) {
	var pipelines civ1alpha1.SecurePipelineList
	if err := c.cache.List(ctx, &pipelines); err != nil {
		return false, err
	}
	byNamespace := map[string][]*civ1alpha1.SecurePipeline{}
	for i := range pipelines.Items {
		p := &pipelines.Items[i]
		byNamespace[p.Namespace] = append(byNamespace[p.Namespace], p)
	}
	var newest int64
	for ns, ps := range byNamespace {
		current := &metav1.PartialObjectMetadataList{}
		current.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
		if err := c.r.APIReader.List(ctx, current, client.InNamespace(ns)); err != nil {
			return false, err
		}
		if rv, err := strconv.ParseInt(current.ResourceVersion, 10, 64); err == nil && rv > newest {
			newest = rv
		}
		versions := map[string]string{}
		for _, s := range current.Items {
			versions[s.Name] = s.ResourceVersion
		}
		for _, p := range ps {
			for _, name := range referencedSecrets(p) {
				key := types.NamespacedName{Namespace: ns, Name: name}
				cachedRV := secretVersionIn(ctx, c.cache, key)
				now := versions[name]
				if now == cachedRV || seen[key] == now {
					continue
				}
				seen[key] = now
				// The cache still has the old version: the reconcile must read this one, not skip it.
				c.r.secretReads.sawLive(key, now)
				select {
				case c.events <- event.GenericEvent{Object: p}:
				case <-ctx.Done():
					return false, ctx.Err()
				}
			}
		}
	}
	return c.informerCaughtUp(ctx, newest), nil
}

// informerCaughtUp says whether the Secret metadata informer has synced a version at least as new as rv.
func (c *secretCatchUp) informerCaughtUp(ctx context.Context, rv int64) bool {
	inf, err := c.cache.GetInformer(ctx, secretMetadata())
	if err != nil {
		return false
	}
	synced, ok := inf.(interface{ LastSyncResourceVersion() string })
	if !ok {
		return false
	}
	have, err := strconv.ParseInt(synced.LastSyncResourceVersion(), 10, 64)
	return err == nil && have >= rv
}
