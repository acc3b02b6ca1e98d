package memlimit

import (
	"testing"
	"testing/fstest"
)

func TestCgroupLimit(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name   string
		self   string
		files  fstest.MapFS
		limit  int64
		source string
		err    bool
	}{
		{name: "v2 in a cgroup namespace", self: "0::/\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory.max": file("536870912\n")},
			limit: 512 << 20, source: "/sys/fs/cgroup/memory.max"},
		{name: "v2 without a limit", self: "0::/\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory.max": file("max\n")}, source: "/sys/fs/cgroup/memory.max"},
		{name: "v2 on the host: the process's own cgroup", self: "0::/kubepods.slice/pod1/ctr\n",
			files: fstest.MapFS{"sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max": file("134217728"),
				"sys/fs/cgroup/memory.max": file("max")},
			limit: 128 << 20, source: "/sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max"},
		{name: "v2, host path not mounted: the top-level file", self: "0::/kubepods.slice/pod1/ctr\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory.max": file("268435456")},
			limit: 256 << 20, source: "/sys/fs/cgroup/memory.max"},
		{name: "v1", self: "12:pids:/\n11:memory:/\n1:name=systemd:/\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": file("536870912")},
			limit: 512 << 20, source: "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{name: "v1 with memory beside another controller", self: "4:cpuacct,memory:/docker/abc\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": file("1073741824")},
			limit: 1 << 30, source: "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{name: "v1 without a limit", self: "11:memory:/\n",
			files:  fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712")},
			source: "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{name: "hybrid: v1's memory controller wins", self: "11:memory:/\n0::/\n",
			files: fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": file("104857600"),
				"sys/fs/cgroup/memory.max": file("max")},
			limit: 100 << 20, source: "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{name: "a controller named like memory is not memory", self: "3:memoryx:/\n", files: fstest.MapFS{}},
		{name: "no cgroup files", self: "0::/\n", files: fstest.MapFS{}},
		{name: "garbage", self: "0::/\n", files: fstest.MapFS{"sys/fs/cgroup/memory.max": file("lots")},
			source: "/sys/fs/cgroup/memory.max", err: true},
		{name: "path climbing out stays under the mount", self: "0::/../../etc\n",
			files: fstest.MapFS{"sys/fs/cgroup/etc/memory.max": file("1048576"), "etc/memory.max": file("1")},
			limit: 1 << 20, source: "/sys/fs/cgroup/etc/memory.max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit, source, err := CgroupLimit(tc.files, []byte(tc.self))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if limit != tc.limit || source != tc.source {
				t.Errorf("CgroupLimit = %d from %q; want %d from %q", limit, source, tc.limit, tc.source)
			}
		})
	}
}

func TestSetLeavesGOMEMLIMITAlone(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "100MiB")
	if limit, _, err := Set(0.9); limit != 0 || err != nil {
		t.Fatalf("Set with GOMEMLIMIT set = %d, %v; want 0, nil", limit, err)
	}
	t.Setenv("GOMEMLIMIT", "")
	for _, ratio := range []float64{0, -1, 1.5} {
		if limit, _, err := Set(ratio); limit != 0 || err != nil {
			t.Fatalf("Set(%v) = %d, %v; want nothing set", ratio, limit, err)
		}
	}
}
