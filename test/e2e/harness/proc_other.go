//go:build !linux

package harness

import "syscall"

// sysProcAttr puts a child in its own process group, so that Stop can signal it and everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// wrapAssets returns assets: parent-death signals are Linux-only.
func wrapAssets(_, assets string) string { return assets }
