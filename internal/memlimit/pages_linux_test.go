package memlimit

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFile reads this process's resident file-backed memory, in KiB.
func rssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			kb, err := strconv.Atoi(strings.Fields(v)[0])
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// The test binary's own pages are given back: what it has resident of itself goes down, and it goes on
// running the code it gave back.
func TestReleaseExecutablePagesShrinksResidentMemory(t *testing.T) {
	before := rssFile(t)
	n, err := ReleaseExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	t.Logf("advised %d KiB of mappings; resident file pages %d -> %d KiB", n>>10, before, after)
	if n <= 0 {
		t.Fatalf("advised %d bytes", n)
	}
	if after >= before-before/4 {
		t.Errorf("resident file pages went from %d to %d KiB: not given back", before, after)
	}
	// Everything still runs: the pages come back at their next use.
	if _, err := ReleaseExecutablePages(); err != nil {
		t.Fatal(err)
	}
}
