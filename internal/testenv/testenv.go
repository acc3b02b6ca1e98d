package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	apiruntime "k8s.io/apimachinery/pkg/runtime"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// Env is a running control plane.
type Env struct {
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client
	Scheme *apiruntime.Scheme
	// certDir is the API server's own certificate directory when it is restartable.
	certDir string
	// secretReads counts the operator's uncached reads of each Secret.
	secretReads secretReadCounter
}

// Options adjust the control plane.
type Options struct {
	// ExtraCRDDirs are more directories of CRD manifests to install (e.g. External Secrets Operator's).
	ExtraCRDDirs []string
	// RestartableAPIServer keeps the API server's certificates in a directory of their own, so that
	// RestartAPIServer brings it back on the same address, with the same certificates and etcd.
	RestartableAPIServer bool
}

// RepoRoot is the repository's top folder, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Scheme holds the built-in types and the project's API.
func Scheme() *apiruntime.Scheme {
	s := apiruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := civ1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// Start starts kube-apiserver and etcd with the project's CRDs installed. It fails with instructions when
// the binaries have not been built.
func Start(opts Options) (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the tests through `make test` " +
			"(it builds kube-apiserver, kubectl and etcd into bin/k8s/ with hack/build-control-plane.sh), " +
			"or run `make control-plane` and export KUBEBUILDER_ASSETS=$PWD/bin/k8s/v1.37.2")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("%s not found in KUBEBUILDER_ASSETS=%s: run `make control-plane` to build it "+
				"from the Go module proxy (about 4 minutes the first time)", bin, assets)
		}
	}
	scheme := Scheme()
	env := &envtest.Environment{
		CRDDirectoryPaths:     append([]string{filepath.Join(RepoRoot(), "config", "crd", "bases")}, opts.ExtraCRDDirs...),
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	var certDir string
	if opts.RestartableAPIServer {
		dir, err := os.MkdirTemp("", "apiserver-")
		if err != nil {
			return nil, fmt.Errorf("making the API server's certificate directory: %w", err)
		}
		certDir = dir
		env.ControlPlane.GetAPIServer().CertDir = dir
		// A graceful stop of kube-apiserver takes longer than envtest waits (it then kills it); an outage
		// need not be graceful, so do not wait long.
		env.ControlPlaneStopTimeout = 3 * time.Second
	}
	cfg, err := env.Start()
	if err != nil {
		// envtest leaves kube-apiserver and etcd running when installing the CRDs fails.
		_ = env.Stop()
		return nil, fmt.Errorf("starting the test control plane from %s: %w", assets, err)
	}
	// Client-side rate limiting only slows tests that create many objects; the API server is local.
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("building a client for the test control plane: %w", err)
	}
	return &Env{Env: env, Config: cfg, Client: c, Scheme: scheme, certDir: certDir}, nil
}

// Stop stops the control plane.
func (e *Env) Stop() error {
	err := e.Env.Stop()
	if e.certDir != "" {
		_ = os.RemoveAll(e.certDir)
	}
	return err
}

// StopAPIServer stops kube-apiserver, leaving etcd running (Options.RestartableAPIServer).
func (e *Env) StopAPIServer() error {
	if e.certDir == "" {
		return fmt.Errorf("the API server was not started restartable (testenv.Options.RestartableAPIServer)")
	}
	err := e.Env.ControlPlane.APIServer.Stop()
	if err != nil && strings.HasPrefix(err.Error(), "timeout waiting for process") {
		return nil // killed after the timeout: stopped all the same
	}
	return err
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the same address and etcd.
func (e *Env) StartAPIServer() error {
	if e.certDir == "" {
		return fmt.Errorf("the API server was not started restartable (testenv.Options.RestartableAPIServer)")
	}
	return e.Env.ControlPlane.APIServer.Start()
}

// GVK of SecurePipeline, for unstructured tests.
var GVK = schema.GroupVersionKind{Group: civ1alpha1.GroupVersion.Group, Version: civ1alpha1.GroupVersion.Version, Kind: "SecurePipeline"}

// ExternalSecretsVersion is the External Secrets Operator release whose CRDs tests install.
const ExternalSecretsVersion = "v0.16.2"

// ExternalSecretsCRDDir returns the directory of External Secrets Operator's CRDs, from its module in the
// Go module cache (downloaded through the Go module proxy on first use). ESO's Go API cannot be imported
// (v0.16.2 does not compile against our controller-runtime), so the module is not in go.mod.
func ExternalSecretsCRDDir() (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/external-secrets/external-secrets@"+ExternalSecretsVersion).Output()
	if err != nil {
		return "", fmt.Errorf("downloading External Secrets Operator %s for its CRDs: %w", ExternalSecretsVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("reading `go mod download -json` for External Secrets Operator: %v", err)
	}
	return filepath.Join(mod.Dir, "config", "crds", "bases"), nil
}
