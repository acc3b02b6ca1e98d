package controller

import (
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// addRecorder is a queue that records what is added to it.
type addRecorder struct {
	workqueue.TypedInterface[reconcile.Request]
	mu    sync.Mutex
	added []reconcile.Request
}

func (q *addRecorder) Add(r reconcile.Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.added = append(q.added, r)
}

func (q *addRecorder) adds() []reconcile.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]reconcile.Request(nil), q.added...)
}

// A burst of changes of a set's children enqueues the set once, after the delay; a change after that
// enqueues it again; another set is enqueued on its own.
func TestDebouncerCountsABurstOnce(t *testing.T) {
	const delay = 50 * time.Millisecond
	d := &debouncer{delay: delay, pending: map[reconcile.Request]bool{}}
	q := &addRecorder{}
	a := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "a"}}
	b := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}
	start := time.Now()
	for range 1000 {
		d.add(a, q)
	}
	d.add(b, q)
	if got := q.adds(); len(got) != 0 {
		t.Fatalf("enqueued before the delay: %v", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(q.adds()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("enqueued after %v, before the delay of %v", elapsed, delay)
	}
	time.Sleep(2 * delay)
	got := q.adds()
	if len(got) != 2 || !((got[0] == a && got[1] == b) || (got[0] == b && got[1] == a)) {
		t.Fatalf("a burst of 1,000 changes of a's children and one of b's enqueued %v; want a and b once each", got)
	}
	d.add(a, q)
	time.Sleep(3 * delay)
	if got := q.adds(); len(got) != 3 || got[2] != a {
		t.Fatalf("a change after the burst enqueued %v; want a once more", got)
	}
}

// Only a SecurePipelineSet of this API group that controls a pipeline is woken by its changes.
func TestControllingSet(t *testing.T) {
	yes, no := true, false
	ref := func(apiVersion, kind, name string, controller *bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: "u", Controller: controller}
	}
	gv := civ1alpha1.GroupVersion.String()
	for _, tc := range []struct {
		name string
		refs []metav1.OwnerReference
		want string
	}{
		{"controlled by a set", []metav1.OwnerReference{ref(gv, "SecurePipelineSet", "fleet", &yes)}, "team/fleet"},
		{"another version of the group", []metav1.OwnerReference{ref(civ1alpha1.GroupVersion.Group+"/v1", "SecurePipelineSet", "fleet", &yes)}, "team/fleet"},
		{"owned, not controlled", []metav1.OwnerReference{ref(gv, "SecurePipelineSet", "fleet", &no)}, ""},
		{"no owner", nil, ""},
		{"another group's kind of that name", []metav1.OwnerReference{ref("evil.example/v1", "SecurePipelineSet", "fleet", &yes)}, ""},
		{"another kind", []metav1.OwnerReference{ref(gv, "SecurePipeline", "fleet", &yes)}, ""},
		{"kind differing in case", []metav1.OwnerReference{ref(gv, "securepipelineset", "fleet", &yes)}, ""},
		{"a broken apiVersion", []metav1.OwnerReference{ref("a/b/c", "SecurePipelineSet", "fleet", &yes)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &civ1alpha1.SecurePipeline{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "svc", OwnerReferences: tc.refs}}
			req, ok := controllingSet(p)
			got := ""
			if ok {
				got = req.String()
			}
			if got != tc.want {
				t.Errorf("controllingSet = %q; want %q", got, tc.want)
			}
		})
	}
}
