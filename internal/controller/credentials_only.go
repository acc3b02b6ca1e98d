package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// Credentials-only runs: what a rotation costs.
//
// When a registry Secret moves (a rotation, often of one Secret shared by all of a SecurePipelineSet's
// children), every pipeline that references it runs. Only the credential changed, so re-reading every
// other concern on GitHub would spend the identity's request budget on answers the last full run already
// has: with 1,000 repositories that was about half of the rotation's fan-out time. Such a run does the
// preamble (the repository read that proves access, the ownership checks) and the credentials concern
// only, provided that
//   - the pipeline's last full run was of the current generation and ended with no failure,
//   - its next full run (the periodic resync, or an earlier requeue that run asked for) was due less than
//     one sync period ago,
//   - and no reconcile was requested since (the reconcile-request annotation is handled).
//
// A full run that is due when the push is waits for it: the push goes first, and the full run follows
// a second later as a routine run, behind the other repositories' pushes in the identity's request
// budget. In a fan-out to 1,000 repositories most runs start minutes after the Secret moved, with their
// full run due by then; doing the full run first made the push wait behind every concern's reads. The
// bound of one sync period keeps a Secret that changes all the time from holding off the full run for
// good.
//
// The credentials concern itself checks what a push depends on: the production gate right before every
// production push (credentials_guard.go), the secrets public key, and the environment (a push to a
// missing one fails). The other concerns keep the conditions of the last full run, which is at most one
// sync period old, as between any two resyncs; the run requeues for the moment the full run is due.
// status.lastSyncTime and the effective sync period (sync_stats.go) count full runs only. Any failure
// forgets the full run, so the next attempt is a full one: every run takes the remembered full run, and
// only a run that ends with no failure puts one back.

// fullRuns remembers, per pipeline, the last full run that ended with no failure.
type fullRuns struct {
	mu sync.Mutex
	m  map[types.UID]fullRun
}

type fullRun struct {
	generation int64
	// next is when the next full run is due.
	next time.Time
}

func (f *fullRuns) record(uid types.UID, generation int64, next time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[types.UID]fullRun{}
	}
	f.m[uid] = fullRun{generation: generation, next: next}
}

func (f *fullRuns) forget(uid types.UID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, uid)
}

// take removes and returns the pipeline's last clean full run, if one is remembered.
func (f *fullRuns) take(uid types.UID) (fullRun, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, ok := f.m[uid]
	delete(f.m, uid)
	return last, ok
}

// allowsCredentialsOnly says whether, after this full run, a run of p in which a credential push is
// pending may be a credentials-only run; grace is how long past due the next full run may be.
func (last fullRun) allowsCredentialsOnly(p *civ1alpha1.SecurePipeline, now time.Time, grace time.Duration) bool {
	if v, ok := p.Annotations[civ1alpha1.ReconcileRequestAnnotation]; ok && v != p.Status.LastHandledReconcileAt {
		return false
	}
	return last.generation == p.Generation && p.Status.ObservedGeneration == p.Generation && now.Before(last.next.Add(grace))
}
