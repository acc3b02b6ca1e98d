package memlimit

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReleaseExecutablePages advises the kernel to reclaim the resident pages of this process's read-only
// mappings of its own executable (MADV_PAGEOUT). It returns the bytes of the mappings it advised. Pages
// another process maps too are the kernel's to skip.
func ReleaseExecutablePages() (int64, error) {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("finding the executable: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("finding the executable: no inode in %T", fi.Sys())
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("reading the process's mappings: %w", err)
	}
	dev := fmt.Sprintf("%02x:%02x", unix.Major(st.Dev), unix.Minor(st.Dev))
	var n int64
	for _, s := range readOnlySpans(maps, dev, st.Ino) {
		// The raw call: the range is the kernel's mapping, not memory of Go's, so no Go pointer to it is made.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, s.lo, s.hi-s.lo, unix.MADV_PAGEOUT); errno != 0 {
			return n, fmt.Errorf("madvise(MADV_PAGEOUT) of %#x-%#x: %w", s.lo, s.hi, errno)
		}
		n += int64(s.hi - s.lo)
	}
	if n == 0 {
		return 0, fmt.Errorf("no read-only mapping of the executable (device %s, inode %d) in /proc/self/maps", dev, st.Ino)
	}
	return n, nil
}
