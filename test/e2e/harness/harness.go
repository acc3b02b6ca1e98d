// Package harness runs the secure-pipeline operator as it runs for real, on one machine and on loopback
// only: a real etcd and kube-apiserver (the binaries hack/build-control-plane.sh builds into bin/k8s/),
// kubectl, the GitHub simulator as a process (bin/githubsim), the manager binary (bin/manager) out of
// cluster under its own ServiceAccount's RBAC, and optionally the real External Secrets Operator controller
// (hack/build-external-secrets.sh). The e2e suite (test/e2e) and the demo (hack/demo) use it.
//
// Every process is started in its own process group with a parent-death signal, and Stop ends them all,
// so nothing outlives the test or the demo.
package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

const (
	// KubernetesVersion is the control plane's version, as in the Makefile.
	KubernetesVersion = "v1.37.2"
	// ExternalSecretsVersion is the External Secrets Operator release hack/build-external-secrets.sh builds.
	ExternalSecretsVersion = "v0.16.2"
)

// Logf reports progress.
type Logf func(format string, args ...any)

// Env is a running set of components. Create it with New and always Stop it.
type Env struct {
	// Root is the repository's top folder.
	Root string
	// Dir holds kubeconfigs and logs.
	Dir string
	// Logf reports progress; nil is quiet.
	Logf Logf

	// Kubeconfig is an administrator's kubeconfig (system:masters), for kubectl and External Secrets Operator.
	Kubeconfig string
	// ManagerKubeconfig authenticates as the manager's ServiceAccount, so the manager runs with exactly the
	// RBAC that config/rbac grants it in a cluster.
	ManagerKubeconfig string
	// ManagerNamespace and ManagerServiceAccount are read from config/default.
	ManagerNamespace, ManagerServiceAccount string
	// MetricsReaderRole is config/default's ClusterRole that allows GET /metrics.
	MetricsReaderRole string
	// metricsToken is a token of a ServiceAccount bound to MetricsReaderRole, made on the first StartManager.
	metricsToken string

	mu    sync.Mutex
	procs []*Process
	cp    *envtest.Environment
}

// RepoRoot is the repository's top folder, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// New prepares an Env that keeps its files in dir.
func New(dir string, logf Logf) *Env {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Env{Root: RepoRoot(), Dir: dir, Logf: logf}
}

// ForTest prepares an Env for one test, in a new folder named after prefix, logging through t. When the
// test ends every process it started is stopped; the folder (logs, kubeconfigs) is kept if the test
// failed, and removed otherwise.
func ForTest(t testing.TB, prefix string) *Env {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	env := New(dir, func(f string, a ...any) { t.Logf(f, a...) })
	t.Cleanup(func() {
		env.Stop()
		if t.Failed() {
			t.Logf("logs and kubeconfigs kept in %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	})
	return env
}

// Assets is the directory of kube-apiserver, etcd and kubectl: KUBEBUILDER_ASSETS (the Makefile exports
// it) or bin/k8s/<version>.
func (e *Env) Assets() string {
	if a := os.Getenv("KUBEBUILDER_ASSETS"); a != "" {
		return a
	}
	return filepath.Join(e.Root, "bin", "k8s", KubernetesVersion)
}

// Bin is a binary built by `make build` (manager, githubsim) or by a hack/ script.
func (e *Env) Bin(name string) string { return filepath.Join(e.Root, "bin", name) }

// ExternalSecretsBin is the External Secrets Operator controller built by hack/build-external-secrets.sh.
func (e *Env) ExternalSecretsBin() string {
	return filepath.Join(e.Root, "bin", "external-secrets", ExternalSecretsVersion, "external-secrets")
}

// CheckBinaries says which binaries are missing and how to build them.
func (e *Env) CheckBinaries(withESO bool) error {
	var missing []string
	for _, b := range []string{"kube-apiserver", "etcd", "kubectl"} {
		if _, err := os.Stat(filepath.Join(e.Assets(), b)); err != nil {
			missing = append(missing, filepath.Join(e.Assets(), b)+" (make control-plane)")
		}
	}
	for _, b := range []string{"manager", "githubsim"} {
		if _, err := os.Stat(e.Bin(b)); err != nil {
			missing = append(missing, e.Bin(b)+" (make build)")
		}
	}
	if withESO {
		if _, err := os.Stat(e.ExternalSecretsBin()); err != nil {
			missing = append(missing, e.ExternalSecretsBin()+" (make external-secrets)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing binaries, build them first:\n  %s", strings.Join(missing, "\n  "))
	}
	return nil
}

func (e *Env) track(p *Process) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.procs = append(e.procs, p)
}

// Processes are the processes started so far.
func (e *Env) Processes() []*Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Process(nil), e.procs...)
}

// Stop ends every process, newest first, then the control plane. It is safe to call more than once.
func (e *Env) Stop() {
	e.mu.Lock()
	procs := e.procs
	e.procs = nil
	cp := e.cp
	e.cp = nil
	e.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop()
	}
	if cp != nil {
		if err := cp.Stop(); err != nil {
			e.Logf("stopping the control plane: %v", err)
		}
	}
}

// StartControlPlane starts etcd and kube-apiserver (controller-runtime's envtest runs the binaries in
// Assets(); both listen on 127.0.0.1) and writes the administrator's kubeconfig.
func (e *Env) StartControlPlane() error {
	e.cp = &envtest.Environment{
		BinaryAssetsDirectory:    wrapAssets(e.Dir, e.Assets()),
		ControlPlaneStartTimeout: 60 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	if _, err := e.cp.Start(); err != nil {
		e.cp = nil
		return fmt.Errorf("starting etcd and kube-apiserver from %s: %w", e.Assets(), err)
	}
	admin, err := e.cp.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding an administrator: %w", err)
	}
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	return writeKubeconfig(admin, e.Kubeconfig)
}

// APIServerURL is the API server's address.
func (e *Env) APIServerURL() string {
	if e.cp == nil || e.cp.Config == nil {
		return ""
	}
	return e.cp.Config.Host
}

func writeKubeconfig(u *envtest.AuthenticatedUser, path string) error {
	b, err := u.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing a kubeconfig: %w", err)
	}
	return os.WriteFile(path, b, 0o600)
}

// Kubectl runs the control plane's kubectl as the administrator in the repository's top folder, with
// stdin as its input. The error carries kubectl's stderr.
func (e *Env) Kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(e.Assets(), "kubectl"), args...)
	cmd.Dir = e.Root
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.Kubeconfig, "KUBECTL_KUBERC=false")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// InstallOperator installs the operator's CRDs (kubectl apply -k config/crd) and everything else of
// config/default except the manager's Deployment (no kubelet runs here: the manager runs as a process):
// namespace, ServiceAccount, RBAC, metrics Service, NetworkPolicies. It then writes ManagerKubeconfig, which
// authenticates as that ServiceAccount.
func (e *Env) InstallOperator(ctx context.Context) error {
	if out, err := e.Kubectl(ctx, "", "apply", "-k", "config/crd"); err != nil {
		return err
	} else {
		e.Logf("%s", strings.TrimSpace(out))
	}
	rendered, err := e.Kubectl(ctx, "", "kustomize", "config/default")
	if err != nil {
		return err
	}
	var keep []string
	for _, doc := range splitYAML(rendered) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			return fmt.Errorf("reading kustomize config/default output: %w", err)
		}
		switch meta.Kind {
		case "":
			continue
		case "Deployment":
			continue
		case "ServiceAccount":
			e.ManagerNamespace, e.ManagerServiceAccount = meta.Metadata.Namespace, meta.Metadata.Name
		case "ClusterRole":
			if strings.HasSuffix(meta.Metadata.Name, "metrics-reader") {
				e.MetricsReaderRole = meta.Metadata.Name
			}
		}
		keep = append(keep, doc)
	}
	if e.ManagerServiceAccount == "" {
		return fmt.Errorf("kustomize config/default has no ServiceAccount for the manager")
	}
	if e.MetricsReaderRole == "" {
		return fmt.Errorf("kustomize config/default has no metrics-reader ClusterRole")
	}
	out, err := e.Kubectl(ctx, strings.Join(keep, "\n---\n"), "apply", "-f", "-")
	if err != nil {
		return err
	}
	e.Logf("%s", strings.TrimSpace(out))
	if _, err := e.Kubectl(ctx, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/securepipelines.ci.securepipeline.dev"); err != nil {
		return err
	}
	// A client certificate whose user name is the ServiceAccount's: RBAC matches ServiceAccount subjects by
	// that name, so the manager gets exactly the permissions config/rbac binds to its ServiceAccount.
	sa, err := e.cp.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + e.ManagerNamespace + ":" + e.ManagerServiceAccount,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + e.ManagerNamespace},
	}, nil)
	if err != nil {
		return fmt.Errorf("adding the manager's ServiceAccount user: %w", err)
	}
	e.ManagerKubeconfig = filepath.Join(e.Dir, "manager.kubeconfig")
	return writeKubeconfig(sa, e.ManagerKubeconfig)
}

// ExternalSecretsCRDDir is External Secrets Operator's CRD directory in the Go module cache (downloaded
// through the Go module proxy if needed).
func ExternalSecretsCRDDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json",
		"github.com/external-secrets/external-secrets@"+ExternalSecretsVersion).Output()
	if err != nil {
		return "", fmt.Errorf("downloading External Secrets Operator %s for its CRDs: %w", ExternalSecretsVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("reading `go mod download -json` for External Secrets Operator: %v", err)
	}
	return filepath.Join(mod.Dir, "config", "crds", "bases"), nil
}

// InstallExternalSecretsCRDs installs External Secrets Operator's CRDs. They are applied server-side: some
// are larger than client-side apply's last-applied annotation allows. ESO v0.16.2's bases carry no
// conversion webhook (its Helm chart adds it), so they work without ESO's webhook.
func (e *Env) InstallExternalSecretsCRDs(ctx context.Context) error {
	dir, err := ExternalSecretsCRDDir(ctx)
	if err != nil {
		return err
	}
	out, err := e.Kubectl(ctx, "", "apply", "--server-side", "-k", dir)
	if err != nil {
		return err
	}
	e.Logf("%s", strings.TrimSpace(out))
	_, err = e.Kubectl(ctx, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/externalsecrets.external-secrets.io", "crd/passwords.generators.external-secrets.io")
	return err
}

func splitYAML(s string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+s, "\n---") {
		if d = strings.TrimSpace(strings.TrimPrefix(d, "\n")); d != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Manager is the running manager.
type Manager struct {
	*Process
	// ProbeAddr and MetricsAddr are host:port on 127.0.0.1.
	ProbeAddr, MetricsAddr string
	// MetricsToken is a bearer token the metrics endpoint accepts: a ServiceAccount's, bound to the
	// metrics-reader ClusterRole.
	MetricsToken string
}

// StartManager runs bin/manager out of cluster as its ServiceAccount, pointed at githubAPIURL, with health
// probes and metrics on free loopback ports, and waits until it is ready. The metrics are served as
// deployed: HTTPS with the manager's self-signed certificate, to a token the API server authenticates and
// authorizes (Manager.MetricsToken).
func (e *Env) StartManager(ctx context.Context, githubAPIURL string, extraArgs ...string) (*Manager, error) {
	probe, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--github-api-url=" + githubAPIURL,
		"--health-probe-bind-address=" + probe,
		"--metrics-bind-address=" + metrics,
		"--leader-elect=false",
		"--zap-devel=true",
	}, extraArgs...)
	p, _, err := startProcess(ctx, "manager", filepath.Join(e.Dir, "manager.log"),
		[]string{"KUBECONFIG=" + e.ManagerKubeconfig}, 0, e.Bin("manager"), args...)
	if err != nil {
		return nil, err
	}
	e.track(p)
	m := &Manager{Process: p, ProbeAddr: probe, MetricsAddr: metrics}
	if err := waitHTTP(ctx, p, "http://"+probe+"/readyz"); err != nil {
		return nil, fmt.Errorf("the manager did not become ready: %w; %s ends with:\n%s", err, p.LogPath, Tail(p.LogPath, 30))
	}
	if e.metricsToken == "" {
		token, err := e.ServiceAccountToken(ctx, e.ManagerNamespace, "metrics-scraper", e.MetricsReaderRole)
		if err != nil {
			return nil, err
		}
		e.metricsToken = token
	}
	m.MetricsToken = e.metricsToken
	return m, nil
}

// ServiceAccountToken creates the ServiceAccount namespace/name if it is missing, binds it to clusterRole
// unless that is empty, and returns a token for it (TokenRequest, one hour).
func (e *Env) ServiceAccountToken(ctx context.Context, namespace, name, clusterRole string) (string, error) {
	sa := fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}\n", name, namespace)
	if clusterRole != "" {
		sa += fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"+
			"metadata: {name: %s-%s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}\n"+
			"subjects: [{kind: ServiceAccount, name: %s, namespace: %s}]\n", namespace, name, clusterRole, name, namespace)
	}
	if _, err := e.Kubectl(ctx, sa, "apply", "-f", "-"); err != nil {
		return "", fmt.Errorf("creating ServiceAccount %s/%s: %w", namespace, name, err)
	}
	token, err := e.Kubectl(ctx, "", "-n", namespace, "create", "token", name, "--duration=1h")
	if err != nil {
		return "", fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return strings.TrimSpace(token), nil
}

// Metrics returns the manager's Prometheus metrics, read with MetricsToken.
func (m *Manager) Metrics(ctx context.Context) (string, error) {
	code, body, err := m.MetricsAs(ctx, m.MetricsToken)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("GET /metrics: %d %s", code, strings.TrimSpace(body))
	}
	return body, nil
}

// metricsClient trusts any certificate: the manager serves metrics with a certificate it made itself at
// start, on loopback.
var metricsClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the manager's own self-signed certificate, on loopback
}}

// MetricsAs reads GET /metrics with token as its bearer token (none if empty), and returns the status code
// and body.
func (m *Manager) MetricsAs(ctx context.Context, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+m.MetricsAddr+"/metrics", nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), err
}

// StartExternalSecrets runs External Secrets Operator's core controller out of cluster as an administrator:
// no leader election, no metrics, none of its webhook or cert-controller subcommands.
func (e *Env) StartExternalSecrets(ctx context.Context) (*Process, error) {
	p, _, err := startProcess(ctx, "external-secrets", filepath.Join(e.Dir, "external-secrets.log"),
		[]string{"KUBECONFIG=" + e.Kubeconfig}, 0, e.ExternalSecretsBin(),
		"--enable-leader-election=false", "--metrics-addr=0", "--concurrent=2", "--loglevel=info",
		"--zap-time-encoding=iso8601")
	if err != nil {
		return nil, err
	}
	e.track(p)
	// ESO has no readiness endpoint when metrics are off: give it a moment and make sure it did not exit.
	select {
	case <-p.done:
		return nil, fmt.Errorf("external-secrets exited at once: %v; %s ends with:\n%s",
			p.err, p.LogPath, Tail(p.LogPath, 30))
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p, nil
}

// waitHTTP waits up to a minute for url to answer 200 OK while p runs.
func waitHTTP(ctx context.Context, p *Process, url string) error {
	const timeout = time.Minute
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s %w: %v", p.Name, errExited, err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("timed out after %s: %v", timeout, last)
}
