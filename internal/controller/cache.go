package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Secret data stays out of the manager's memory and logs through Secret *metadata* too. The manager
// watches Secrets as metadata only, but metadata can hold the data: `kubectl apply` (client-side) stores
// the whole object, values included, in the kubectl.kubernetes.io/last-applied-configuration annotation,
// and managed fields name every key. So:
//   - the cache keeps no annotation and no managed fields of a Secret (the operator reads neither: a
//     change only tells it which pipelines to reconcile, and it reads the Secret itself uncached), and no
//     managed fields of anything else (it never reads them, and they cost memory);
//   - the Secret informers' LIST and WATCH requests run with the logger capped below client-go's
//     body-logging verbosity, as every other request that carries Secret data does
//     (credentials_logging.go): against API servers without streaming lists, or with
//     KUBE_FEATURE_WatchListClient=false, the informer LISTs, and client-go would hex-dump the answer.

// SecretSafeCacheOptions returns opts with the transform and the informer constructor above. cmd/main.go
// and the test environment both start the manager with it.
func SecretSafeCacheOptions(opts cache.Options) cache.Options {
	next := opts.DefaultTransform
	opts.DefaultTransform = func(in any) (any, error) {
		out := stripCachedMetadata(in)
		if next == nil {
			return out, nil
		}
		return next(out)
	}
	newInformer := opts.NewInformer
	if newInformer == nil {
		newInformer = toolscache.NewSharedIndexInformer
	}
	opts.NewInformer = func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, idx toolscache.Indexers) toolscache.SharedIndexInformer {
		if isSecret(obj) {
			lw = secretSafeListerWatcher{toolscache.ToListerWatcherWithContext(lw), lw}
		}
		return newInformer(lw, obj, resync, idx)
	}
	return opts
}

// stripCachedMetadata drops managed fields from every cached object, and annotations from Secrets.
func stripCachedMetadata(in any) any {
	obj, err := meta.Accessor(in)
	if err != nil {
		return in // e.g. a DeletedFinalStateUnknown tombstone: nothing to strip
	}
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	if ro, ok := in.(runtime.Object); ok && isSecret(ro) && obj.GetAnnotations() != nil {
		obj.SetAnnotations(nil)
	}
	return in
}

// isSecret says whether an object is a core/v1 Secret, typed or as metadata.
func isSecret(obj runtime.Object) bool {
	switch o := obj.(type) {
	case *corev1.Secret:
		return true
	case *metav1.PartialObjectMetadata:
		gvk := o.GroupVersionKind()
		return gvk.Group == "" && gvk.Kind == "Secret"
	}
	return false
}

// secretSafeListerWatcher lists and watches without client-go's body logging.
type secretSafeListerWatcher struct {
	lw toolscache.ListerWatcherWithContext
	// orig is the wrapped ListerWatcher, asked for the optional interfaces the reflector looks for.
	orig toolscache.ListerWatcher
}

func (s secretSafeListerWatcher) List(opts metav1.ListOptions) (runtime.Object, error) {
	return s.ListWithContext(context.Background(), opts)
}

func (s secretSafeListerWatcher) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return s.WatchWithContext(context.Background(), opts)
}

func (s secretSafeListerWatcher) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	return s.lw.ListWithContext(withoutBodyLogging(ctx), opts)
}

func (s secretSafeListerWatcher) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return s.lw.WatchWithContext(withoutBodyLogging(ctx), opts)
}

// IsWatchListSemanticsUnSupported forwards client-go's optional interface, so that wrapping does not change
// whether the reflector streams its initial list.
func (s secretSafeListerWatcher) IsWatchListSemanticsUnSupported() bool {
	u, ok := s.orig.(interface{ IsWatchListSemanticsUnSupported() bool })
	return ok && u.IsWatchListSemanticsUnSupported()
}
