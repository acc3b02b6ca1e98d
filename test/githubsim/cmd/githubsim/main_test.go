package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// TestCommand builds the command, starts it on a loopback port with a seed
// file, checks the printed environment lines and one API call, and checks
// that SIGTERM stops it cleanly.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	g := NewWithT(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "githubsim")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	seed := filepath.Join(dir, "seed.yaml")
	g.Expect(os.WriteFile(seed, []byte("repos: [acme/widgets]\ntokens:\n  - {token: ghp_demo, repos: [acme/widgets]}\n"), 0o600)).To(Succeed())

	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--seed", seed, "--admin-token", "adm")
	stdout, err := cmd.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Start()).To(Succeed())
	defer func() { _ = cmd.Process.Kill() }()
	sc := bufio.NewScanner(stdout)
	env := map[string]string{}
	for len(env) < 2 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		env[k] = v
	}
	g.Expect(env).To(HaveKeyWithValue("GITHUB_SIM_ADMIN_TOKEN", "adm"))
	g.Expect(env["GITHUB_API_URL"]).To(MatchRegexp(`^http://127\.0\.0\.1:\d+/$`))

	req, _ := http.NewRequest("GET", env["GITHUB_API_URL"]+"repos/acme/widgets", nil)
	req.Header.Set("Authorization", "Bearer ghp_demo")
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))

	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		g.Expect(err).NotTo(HaveOccurred())
	case <-time.After(10 * time.Second):
		t.Fatal("githubsim did not exit on SIGTERM")
	}
}
