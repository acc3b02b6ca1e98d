package controller

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// setRecountDelay is how long a set waits after a change of one of its children before it counts them
// again. Every change of a child, its status included, changes the set's counts, and a set's reconcile
// reads all its children: in a cold start of a thousand children, which report thousands of times, a
// reconcile per change made the set's work grow with the square of the fleet. Changes within the delay
// are counted together.
const setRecountDelay = time.Second

// childChanges enqueues a child's controlling set (as Owns does) at most once per delay: the first
// change of a child starts the delay, and the set is enqueued when it ends, with every change made
// meanwhile.
func childChanges(delay time.Duration) handler.TypedEventHandler[client.Object, reconcile.Request] {
	d := &debouncer{delay: delay, pending: map[reconcile.Request]bool{}}
	enqueue := func(o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		if req, ok := controllingSet(o); ok {
			d.add(req, q)
		}
	}
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) { enqueue(e.Object, q) },
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			enqueue(e.ObjectOld, q)
			enqueue(e.ObjectNew, q)
		},
		DeleteFunc:  func(_ context.Context, e event.DeleteEvent, q queue) { enqueue(e.Object, q) },
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) { enqueue(e.Object, q) },
	}
}

// controllingSet is the request for the SecurePipelineSet that controls o, if one does.
func controllingSet(o client.Object) (reconcile.Request, bool) {
	ref := metav1.GetControllerOf(o)
	if ref == nil || ref.Kind != "SecurePipelineSet" {
		return reconcile.Request{}, false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != civ1alpha1.GroupVersion.Group {
		return reconcile.Request{}, false
	}
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}}, true
}

// debouncer adds a request to a queue delay after the first of any number of calls within the delay.
type debouncer struct {
	delay   time.Duration
	mu      sync.Mutex
	pending map[reconcile.Request]bool
}

func (d *debouncer) add(req reconcile.Request, q workqueue.TypedInterface[reconcile.Request]) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending[req] {
		return
	}
	d.pending[req] = true
	time.AfterFunc(d.delay, func() {
		d.mu.Lock()
		delete(d.pending, req)
		d.mu.Unlock()
		q.Add(req) // after the queue shuts down, a no-op
	})
}
