package controller

import (
	"math/rand/v2"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// What keeps an unchanged resync cheap for GitHub's secondary limits and for the API server.

const (
	// resyncJitter spreads periodic resyncs over ±10% of the sync period, so that a fleet created at
	// once (a SecurePipelineSet's children, a restart) does not resync at once forever after.
	resyncJitter = 0.10

	// syncTimeGranularity is how stale status.lastSyncTime may get: a resync that changed nothing a
	// user reads writes no status, unless lastSyncTime is older than this.
	syncTimeGranularity = time.Hour
)

// jittered is d moved by up to ±frac of itself; u in [0, 1) picks where (0.5: d itself).
func jittered(d time.Duration, frac, u float64) time.Duration {
	return d + time.Duration((2*u-1)*frac*float64(d))
}

// resyncAfter is the periodic resync's delay for one reconcile.
func resyncAfter(period time.Duration) time.Duration {
	return jittered(period, resyncJitter, rand.Float64()) //nolint:gosec // spreading load, not a secret
}

// statusNeedsWrite reports whether p's status (as summarize left it) differs from base's in something a
// user reads. lastSyncTime alone does not count until it is syncTimeGranularity old: then an unchanged
// pipeline's status is not rewritten on every resync (the API server's work for it was several times the
// manager's). When nothing needs writing, p's lastSyncTime is put back to base's.
func statusNeedsWrite(base, p *civ1alpha1.SecurePipeline) bool {
	was, now := base.Status.LastSyncTime, p.Status.LastSyncTime
	if was != nil && now != nil && now.Sub(was.Time) < syncTimeGranularity {
		p.Status.LastSyncTime = was
		if equality.Semantic.DeepEqual(base.Status, p.Status) {
			return false
		}
		// Something else changed: the write carries the fresh time too.
		p.Status.LastSyncTime = now
	}
	return !equality.Semantic.DeepEqual(base.Status, p.Status)
}
