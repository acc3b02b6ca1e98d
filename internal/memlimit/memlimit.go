package memlimit

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
)

// unlimitedV1 is at least what cgroup v1 reports for "no limit" (PAGE_COUNTER_MAX pages, rounded): any
// limit this large is none.
const unlimitedV1 = 1 << 62

// Set sets the runtime's soft memory limit to ratio times the cgroup memory limit of this process, unless
// GOMEMLIMIT is set or ratio is not in (0, 1]. It returns the limit set (0: none) and the file it read.
func Set(ratio float64) (limit int64, source string, err error) {
	if os.Getenv("GOMEMLIMIT") != "" || ratio <= 0 || ratio > 1 {
		return 0, "", nil
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, "", nil // not Linux, or no /proc: nothing to follow
	}
	max, source, err := CgroupLimit(os.DirFS("/"), self)
	if err != nil || max <= 0 {
		return 0, source, err
	}
	limit = int64(float64(max) * ratio)
	debug.SetMemoryLimit(limit)
	return limit, source, nil
}

// CgroupLimit reads the memory limit of the cgroup that /proc/self/cgroup (self) names, in root (the file
// system's root): cgroup v2's memory.max, else v1's memory.limit_in_bytes. It returns 0 when there is no
// limit. Inside a container with its own cgroup namespace the path is "/", and the files are at the top of
// /sys/fs/cgroup; when the path is not mounted there (the host's cgroup path seen from a container without
// a cgroup namespace), the top-level file is read instead.
func CgroupLimit(root fs.FS, self []byte) (int64, string, error) {
	sc := bufio.NewScanner(bytes.NewReader(self))
	var v2, v1 string
	hasV2, hasV1 := false, false
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2, hasV2 = parts[2], true
		case containsController(parts[1], "memory"):
			v1, hasV1 = parts[2], true
		}
	}
	if hasV1 {
		return readLimit(root, "sys/fs/cgroup/memory", v1, "memory.limit_in_bytes")
	}
	if hasV2 {
		return readLimit(root, "sys/fs/cgroup", v2, "memory.max")
	}
	return 0, "", nil
}

func containsController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readLimit reads file in mount/cgroup, or at the top of mount when the cgroup's folder is not there.
func readLimit(root fs.FS, mount, cgroup, file string) (int64, string, error) {
	p := path.Join(mount, strings.TrimPrefix(path.Clean("/"+cgroup), "/"), file)
	b, err := fs.ReadFile(root, p)
	if err != nil {
		p = path.Join(mount, file)
		if b, err = fs.ReadFile(root, p); err != nil {
			return 0, "", nil // no memory controller here
		}
	}
	v := strings.TrimSpace(string(b))
	if v == "max" || v == "" {
		return 0, "/" + p, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, "/" + p, fmt.Errorf("reading the memory limit in /%s: %q is not a number of bytes", p, v)
	}
	if n <= 0 || n >= unlimitedV1 || n == math.MaxInt64 {
		return 0, "/" + p, nil
	}
	return n, "/" + p, nil
}
