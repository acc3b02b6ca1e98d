// Package memlimit sets the Go runtime's soft memory limit (GOMEMLIMIT) from the container's cgroup memory
// limit, so that the garbage collector works harder as the heap nears the limit instead of the kernel
// killing the manager. GOMEMLIMIT, when set, wins.
package memlimit
