//go:build linux

package harness

import "syscall"

// sysProcAttr puts a child in its own process group (so that Stop can signal it and everything it
// started) and has the kernel kill it if this process dies without cleaning up (a panic, a go test
// timeout, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
