package memlimit

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// span is one mapping of the executable, [lo, hi).
type span struct{ lo, hi uintptr }

// readOnlySpans picks, from /proc/self/maps (maps), the mappings of the file with this device and inode
// that are readable and not writable: the executable's code and read-only data. Their pages are the file's
// own, never written, so the kernel can drop them and read them again at the next use without losing a
// thing. Writable mappings (initialised data) are left alone: their pages may hold the process's writes.
func readOnlySpans(maps []byte, dev string, inode uint64) []span {
	var out []span
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// address perms offset dev inode pathname
		f := strings.Fields(sc.Text())
		if len(f) < 5 || len(f[1]) < 4 || f[1][0] != 'r' || f[1][1] != '-' || f[3] != dev {
			continue
		}
		if ino, err := strconv.ParseUint(f[4], 10, 64); err != nil || ino != inode || ino == 0 {
			continue
		}
		a, b, ok := strings.Cut(f[0], "-")
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if !ok || err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		out = append(out, span{lo: uintptr(lo), hi: uintptr(hi)})
	}
	return out
}

// PageReleaser gives the kernel back, every Interval, the pages of the manager's executable that it has
// mapped: its code and read-only data. Starting a Go program runs every package's initialisation, and the
// manager's cold start runs code a steady state never does again; without this, those pages stay in the
// manager's resident memory (about 20 of its 33 MiB of file-backed pages) until the kernel runs short. The
// pages the manager still uses come back at their next use, from the page cache (a minor fault) or the image
// (a read): a steady state's working set of the binary is about 10 MiB. Only Linux does anything.
//
// It is a manager.Runnable that runs on every replica, leader or not.
type PageReleaser struct {
	Interval time.Duration
	Log      logr.Logger
}

// Start releases at once (the manager starts its runnables once its caches are filled: initialisation is
// over) and then every Interval, until ctx ends.
func (r PageReleaser) Start(ctx context.Context) error {
	if r.Interval <= 0 {
		return nil
	}
	first := true
	for {
		n, err := ReleaseExecutablePages()
		switch {
		case err != nil:
			// Not worth stopping the manager for: it only keeps more memory resident.
			r.Log.Error(err, "Could not give the executable's pages back to the kernel; not trying again")
			return nil
		case first:
			r.Log.Info("Gave the executable's idle pages back to the kernel", "mappedMiB", n>>20, "every", r.Interval)
		default:
			r.Log.V(1).Info("Gave the executable's idle pages back to the kernel", "mappedMiB", n>>20)
		}
		first = false
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.Interval):
		}
	}
}

// NeedLeaderElection is false: a follower's memory counts as much as the leader's.
func (PageReleaser) NeedLeaderElection() bool { return false }
