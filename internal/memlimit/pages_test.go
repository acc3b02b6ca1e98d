package memlimit

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
)

func TestReadOnlySpans(t *testing.T) {
	const maps = `00400000-01762000 r-xp 00000000 fe:00 11166093                           /work/bin/manager
01762000-02b60000 r--p 01362000 fe:00 11166093                           /work/bin/manager
02b60000-02c15000 rw-p 02760000 fe:00 11166093                           /work/bin/manager
02c15000-02c60000 rw-p 00000000 00:00 0
c000000000-c004000000 rw-p 00000000 00:00 0
7f0000000000-7f0000001000 r--p 00000000 fe:00 999                        /usr/lib/other.so
7f0000001000-7f0000002000 r-xp 00000000 fe:01 11166093                   /other/device/same/inode
7f0000002000-7f0000003000 r--s 00000000 fe:00 11166093                   /work/bin/manager (deleted)
7f0000004000-7f0000003000 r--p 00000000 fe:00 11166093                   /work/bin/manager
zzzz-7f0000005000 r--p 00000000 fe:00 11166093                           /work/bin/manager
7fff00000000-7fff00001000 ---p 00000000 fe:00 11166093                   /work/bin/manager
short line
7ffd1000-7ffd2000 r-xp 00000000 00:00 0                                  [vdso]
`
	got := readOnlySpans([]byte(maps), "fe:00", 11166093)
	want := []span{
		{0x00400000, 0x01762000}, // code
		{0x01762000, 0x02b60000}, // read-only data
		// r--s: shared, but read-only: the same file's pages, still nothing to lose
		{0x7f0000002000, 0x7f0000003000},
	}
	if !slices.Equal(got, want) {
		t.Errorf("readOnlySpans:\n got %x\nwant %x", got, want)
	}
	if got := readOnlySpans([]byte(maps), "00:00", 0); got != nil {
		t.Errorf("inode 0 (anonymous memory) must never match, got %x", got)
	}
}

func TestPageReleaserRunsUntilItsContextEnds(t *testing.T) {
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- PageReleaser{Interval: time.Millisecond, Log: log}.Start(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && (len(lines) == 0 || !strings.Contains(lines[0], `"mappedMiB"`)) {
		t.Errorf("the first release is logged with what it advised; logged %q", lines)
	}
	if (PageReleaser{}).NeedLeaderElection() {
		t.Error("a follower gives its pages back too")
	}
	// Interval 0 is off: Start returns at once.
	if err := (PageReleaser{}).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}
