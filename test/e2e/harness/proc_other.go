//go:build !linux

package harness

import "syscall"

// sysProcAttr puts a child in its own process group, so that Stop can signal it and everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
