//go:build linux

package harness

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// sysProcAttr puts a child in its own process group (so that Stop can signal it and everything it
// started) and has the kernel kill it if this process dies without cleaning up (a panic, a go test
// timeout, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// envtest starts etcd and kube-apiserver itself, in their own process groups but without a parent-death
// signal, so a test or demo that dies abruptly would leave them running. To close that gap the harness
// points envtest at a directory of symbolic links to its own executable, named etcd and kube-apiserver;
// invoked through one of them (wrapDirEnv names the directory, wrapAssetsEnv the real binaries), the
// executable sets its parent-death signal and replaces itself with the real binary before anything else runs.
const (
	wrapDirEnv    = "SECURE_PIPELINE_HARNESS_WRAP_DIR"
	wrapAssetsEnv = "SECURE_PIPELINE_HARNESS_WRAP_ASSETS"
)

func init() {
	dir := os.Getenv(wrapDirEnv)
	if dir == "" || filepath.Dir(os.Args[0]) != dir {
		return
	}
	target := filepath.Join(os.Getenv(wrapAssetsEnv), filepath.Base(os.Args[0]))
	parent := os.Getppid()
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	if errno != 0 {
		os.Stderr.WriteString("harness: prctl(PR_SET_PDEATHSIG): " + errno.Error() + "\n")
		os.Exit(1)
	}
	if os.Getppid() != parent {
		os.Exit(1) // the parent died before the signal was armed
	}
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, wrapDirEnv+"=") {
			continue
		}
		env = append(env, kv)
	}
	err := syscall.Exec(target, append([]string{target}, os.Args[1:]...), env)
	os.Stderr.WriteString("harness: exec " + target + ": " + err.Error() + "\n")
	os.Exit(1)
}

// wrapAssets returns a directory of links that start the control plane's binaries with a parent-death
// signal (see init), or assets itself if that cannot be arranged.
func wrapAssets(dir, assets string) string {
	self, err := os.Executable()
	if err != nil {
		return assets
	}
	wrap := filepath.Join(dir, "bin")
	if err := os.MkdirAll(wrap, 0o700); err != nil {
		return assets
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if err := os.Symlink(self, filepath.Join(wrap, name)); err != nil && !os.IsExist(err) {
			return assets
		}
	}
	kubectl := filepath.Join(assets, "kubectl")
	if err := os.Symlink(kubectl, filepath.Join(wrap, "kubectl")); err != nil && !os.IsExist(err) {
		return assets
	}
	_ = os.Setenv(wrapDirEnv, wrap)
	_ = os.Setenv(wrapAssetsEnv, assets)
	return wrap
}
