// Package memlimit keeps the manager's memory close to what it uses. Set sets the Go runtime's soft memory
// limit (GOMEMLIMIT) from the container's cgroup memory limit, so that the garbage collector works harder as
// the heap nears the limit instead of the kernel killing the manager; GOMEMLIMIT, when set, wins.
// PageReleaser gives the kernel back the resident pages of the manager's own executable (code and read-only
// data) that start-up and the cold start touched, so that they do not stay resident for good.
package memlimit
