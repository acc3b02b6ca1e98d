// Package bundle tests the install manifests (config/) and the OLM bundle generated from them (bundle/):
// that the committed bundle is what `make bundle` generates now, that it carries config/'s Deployment, RBAC
// and CRD unchanged, and that the real API server accepts its examples and the install manifests.
package bundle

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secure-pipeline/operator/hack/bundlegen/gen"
	"github.com/secure-pipeline/operator/internal/testenv"
)

var (
	root = testenv.RepoRoot()

	envOnce sync.Once
	env     *testenv.Env
	envErr  error
)

// apiServer starts the test control plane the first time a test needs it.
func apiServer(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() { env, envErr = testenv.Start(testenv.Options{}) })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return env
}

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test control plane:", err)
		}
	}
	os.Exit(code)
}

// committedOptions are the release parameters the committed bundle was generated with.
func committedOptions(t *testing.T) gen.Options {
	t.Helper()
	o, err := gen.OptionsFromBundle(root, gen.DefaultPackageName)
	if err != nil {
		t.Fatalf("reading the committed bundle (run `make bundle`): %v", err)
	}
	return o
}

func render(t *testing.T, dir string) []gen.Object {
	t.Helper()
	objs, err := gen.Render(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}
