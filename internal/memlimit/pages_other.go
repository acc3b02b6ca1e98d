//go:build !linux

package memlimit

// ReleaseExecutablePages does nothing outside Linux.
func ReleaseExecutablePages() (int64, error) { return 0, nil }
