// Command demo shows the secure-pipeline operator at work on one machine, with nothing from outside:
// a real etcd and kube-apiserver, the GitHub simulator seeded with a demo organisation
// (config/demo/github-seed.yaml), the manager binary, and the sample SecurePipeline
// (config/samples/ci_v1alpha1_securepipeline.yaml) with the credentials in config/demo/secrets.yaml.
//
// It prints, as they happen, the pipeline's conditions, what GitHub now holds (environments and secret
// names, never values), a credential rotation reaching GitHub, and the workflow audit's findings. Then it
// stays up until Ctrl-C, printing a kubeconfig and the simulator's URL to poke at; with DEMO_EXIT=1 it
// exits by itself (CI does that). Every process it started is stopped on the way out.
//
// Run it with `make demo`, which builds what it needs first (make control-plane build).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/secure-pipeline/operator/test/e2e/harness"
	"github.com/secure-pipeline/operator/test/githubsim"
)

const (
	namespace = "default"
	pipeline  = "payments-api"
	owner     = "acme"
	repo      = "payments-api"
	devServer = "registry.dev.acme.example"
	// stepTimeout bounds every wait: a demo that hangs helps nobody.
	stepTimeout = 2 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Output piped into a reader that goes away first (make demo | tee, a closed terminal) must not kill the
	// demo before it has stopped what it started.
	signal.Ignore(syscall.SIGPIPE)
	code := run(ctx)
	os.Exit(code)
}

var t0 = time.Now()

func say(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}

func info(format string, args ...any) {
	fmt.Printf("    "+format+"\n", args...)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

type demo struct {
	ctx context.Context
	env *harness.Env
	sim *harness.Sim
	mgr *harness.Manager
}

func run(ctx context.Context) int {
	dir, err := os.MkdirTemp("", "secure-pipeline-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := harness.New(dir, nil)
	d := &demo{ctx: ctx, env: env}
	keep := false
	defer func() {
		fmt.Println()
		fmt.Println("==> Stopping the manager, the GitHub simulator, kube-apiserver and etcd")
		env.Stop()
		if keep {
			fmt.Printf("    logs kept in %s\n", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := d.steps(); err != nil {
		keep = true
		if errors.Is(err, context.Canceled) {
			fmt.Println("\ninterrupted")
			return 130
		}
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		if d.mgr != nil {
			fmt.Fprintf(os.Stderr, "\nthe manager's log (%s) ends with:\n%s\n", d.mgr.LogPath, harness.Tail(d.mgr.LogPath, 40))
		}
		return 1
	}
	fmt.Printf("\n==> Every step shown in %s.\n", time.Since(t0).Round(time.Second))
	if os.Getenv("DEMO_EXIT") == "1" {
		return 0
	}
	d.stayUp()
	return 0
}

func (d *demo) steps() error {
	env, ctx := d.env, d.ctx
	if err := env.CheckBinaries(false); err != nil {
		return fmt.Errorf("%w\n(`make demo` builds them)", err)
	}

	say("Starting a local control plane: etcd and kube-apiserver %s from %s (real binaries, loopback only)",
		harness.KubernetesVersion, rel(env.Assets()))
	info("waiting for kube-apiserver to answer (a few seconds; longer on a busy machine)")
	start := time.Now()
	if err := env.StartControlPlane(); err != nil {
		return err
	}
	info("kube-apiserver is serving at %s (%s)", env.APIServerURL(), since(start))

	say("Installing the SecurePipeline CRD (kubectl apply -k config/crd) and the manager's RBAC from config/default")
	info("the manager's Deployment is left out: there is no kubelet here, the manager runs as a local process")
	if err := env.InstallOperator(ctx); err != nil {
		return err
	}
	info("the manager will authenticate as ServiceAccount %s/%s, with only the permissions config/rbac gives it",
		env.ManagerNamespace, env.ManagerServiceAccount)

	say("Starting the GitHub simulator (bin/githubsim) seeded with config/demo/github-seed.yaml")
	sim, err := env.StartSim(ctx, filepath.Join(env.Root, "config", "demo", "github-seed.yaml"))
	if err != nil {
		return err
	}
	d.sim = sim
	info("organisation acme: repository payments-api, user alice, team release-managers, two workflows")
	info("GitHub API: %s", sim.URL)

	say("Starting the operator's manager (bin/manager --github-api-url=%s)", sim.URL)
	info("logs: %s", filepath.Join(env.Dir, "manager.log"))
	info("waiting for its readiness probe")
	start = time.Now()
	mgr, err := env.StartManager(ctx, sim.URL)
	if err != nil {
		return err
	}
	d.mgr = mgr
	info("ready (%s)", since(start))

	say("Creating the credential Secrets: kubectl apply -f config/demo/secrets.yaml")
	out, err := env.Kubectl(ctx, "", "-n", namespace, "apply", "-f", "config/demo/secrets.yaml")
	if err != nil {
		return err
	}
	fmt.Println(indent(out))
	info("GitHub token; dev registry as kubernetes.io/dockerconfigjson; prod registry as kubernetes.io/basic-auth")

	say("Applying the sample pipeline: kubectl apply -f config/samples/ci_v1alpha1_securepipeline.yaml")
	out, err = env.Kubectl(ctx, "", "-n", namespace, "apply", "-f", "config/samples/ci_v1alpha1_securepipeline.yaml")
	if err != nil {
		return err
	}
	fmt.Println(indent(out))
	info("environments ci and production (reviewers: team release-managers, user alice), " +
		"a dev and a prod registry, DCO, workflow audit")

	if err := d.watchConditions(); err != nil {
		return err
	}
	if err := d.showGitHub("GitHub now holds (from the simulator's admin API: names only, never values)"); err != nil {
		return err
	}
	if err := d.rotate(); err != nil {
		return err
	}
	if err := d.findings(); err != nil {
		return err
	}
	return d.releases()
}

// watchConditions prints each condition of the pipeline when its status or reason changes, until Ready is
// True, then `kubectl get spl`.
func (d *demo) watchConditions() error {
	say("Watching the pipeline's conditions until Ready (printed as they change)")
	deadline := time.Now().Add(stepTimeout)
	seen := map[string]string{}
	var lastErr error
	for {
		p, err := d.pipeline()
		lastErr = err
		if err == nil {
			ready := false
			for _, c := range p.Status.Conditions {
				if key := c.Status + "/" + c.Reason; seen[c.Type] != key {
					seen[c.Type] = key
					fmt.Printf("    [%6s] %-23s %-7s %-17s %s\n", since(t0), c.Type, c.Status, c.Reason, shorten(c.Message, 110))
				}
				if c.Type == "Ready" && c.Status == "True" {
					ready = true
				}
			}
			if ready {
				out, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl")
				if err != nil {
					return err
				}
				fmt.Printf("\n    $ kubectl get spl\n%s\n", indent(out))
				return nil
			}
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("the pipeline was not Ready after %s", stepTimeout)
			if lastErr != nil {
				msg += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			if out, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o",
				`jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}`); err == nil {
				msg += "; its conditions:\n" + indent(out)
			}
			return errors.New(msg)
		}
		if err := sleep(d.ctx, 300*time.Millisecond); err != nil {
			return err
		}
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func (d *demo) showGitHub(title string) error {
	say("%s", title)
	r, err := d.sim.Repo(d.ctx, owner, repo)
	if err != nil {
		return err
	}
	info("repository %s: default workflow token %q, Actions may approve pull requests: %v, sign-off on web commits: %v",
		r.FullName, r.Actions.DefaultWorkflowPermissions, r.Actions.CanApprovePullRequestReviews, r.WebCommitSignoffRequired)
	for _, rs := range r.Rulesets {
		checks := ""
		if p, ok := rs.RequiredStatusChecks(); ok {
			b, _ := json.Marshal(p)
			checks = " requiring " + string(b)
		}
		info("ruleset %q (id %d): %s on %s%s", rs.Name, rs.ID, rs.Enforcement, rs.Target, checks)
	}
	for _, e := range r.Environments {
		var rv []string
		for _, x := range e.Reviewers {
			rv = append(rv, strings.ToLower(x.Type)+" "+x.Login+x.Slug)
		}
		var bp []string
		for _, b := range e.BranchPolicies {
			bp = append(bp, b.Type+" "+b.Name)
		}
		desc := "no protection rules"
		if len(rv) > 0 {
			desc = fmt.Sprintf("reviewers [%s], wait %d min, prevent self-review %v, admins may bypass %v",
				strings.Join(rv, ", "), e.WaitTimer, e.PreventSelfReview, e.CanAdminsBypass)
			if len(bp) > 0 {
				desc += ", deploys from [" + strings.Join(bp, ", ") + "]"
			}
		}
		info("environment %s: %s", e.Name, desc)
		names := secretNames(&e)
		if len(names) == 0 {
			info("    secrets: none")
		}
		for _, s := range e.Secrets {
			info("    secret %-24s updated_at %s", s.Name, s.UpdatedAt.Format(time.RFC3339))
		}
	}
	return nil
}

// rotate replaces the dev registry Secret and waits for the new value to reach GitHub.
func (d *demo) rotate() error {
	say("Rotating the dev registry credential: a new password in Secret dev-registry-credentials")
	before, err := d.secret("ci", "DEV_REGISTRY_PASSWORD")
	if err != nil {
		return err
	}
	info("on GitHub now: ci/DEV_REGISTRY_PASSWORD updated_at %s", before.UpdatedAt.Format(time.RFC3339))
	// GitHub's updated_at has a resolution of one second.
	if err := sleep(d.ctx, 1100*time.Millisecond); err != nil {
		return err
	}
	secret, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "create", "secret", "docker-registry",
		"dev-registry-credentials",
		"--docker-server="+devServer, "--docker-username=ci-bot", "--docker-password=demo-dev-password-2",
		"--dry-run=client", "-o", "yaml")
	if err != nil {
		return err
	}
	changed := time.Now()
	out, err := d.env.Kubectl(d.ctx, secret, "-n", namespace, "apply", "-f", "-")
	if err != nil {
		return err
	}
	fmt.Printf("    $ kubectl create secret docker-registry dev-registry-credentials ... --dry-run=client -o yaml"+
		" | kubectl apply -f -\n%s\n", indent(out))
	info("waiting for the operator to push it (it watches the Secrets its pipelines reference)")
	deadline := time.Now().Add(stepTimeout)
	for {
		now, err := d.secret("ci", "DEV_REGISTRY_PASSWORD")
		if err == nil && now.UpdatedAt.After(before.UpdatedAt) {
			info("on GitHub now: ci/DEV_REGISTRY_PASSWORD updated_at %s (seen %s after kubectl apply started)",
				now.UpdatedAt.Format(time.RFC3339), time.Since(changed).Round(10*time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the new dev registry password did not reach GitHub within %s", stepTimeout)
		}
		if err := sleep(d.ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	p, err := d.pipeline()
	if err != nil {
		return err
	}
	for _, r := range p.Status.Registries {
		if r.Name == "dev-registry" && r.LastRotationTime != nil {
			info("status.registries[dev-registry].lastRotationTime: %s", r.LastRotationTime.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func (d *demo) findings() error {
	say("The workflow audit's findings: kubectl get spl %s -o jsonpath='{.status.findings}'", pipeline)
	out, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o",
		`jsonpath={range .status.findings[*]}{.file}:{.line}:{.column} {.rule} ({.severity}) {.message}{"\n"}{end}`)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "" {
		return fmt.Errorf("the audit reported no findings, but .github/workflows/release.yml has some")
	}
	fmt.Println(indent(out))
	cond, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o",
		`jsonpath={.status.conditions[?(@.type=="WorkflowsCompliant")].message}`)
	if err != nil {
		return err
	}
	info("WorkflowsCompliant: %s", cond)
	info("findings do not make the pipeline unready: they are for the repository's maintainers to fix")
	pub, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o",
		`jsonpath={range .status.publishing[*]}{.workflow} job {.job}: {.mechanism}, images {.images}, signing {.signing}, sbom {.sbom}, evidence {.evidence}{"\n"}{end}`)
	if err != nil {
		return err
	}
	say("The jobs that publish images (status.publishing), followed into the Makefile:")
	fmt.Println(indent(pub))
	return nil
}

func (d *demo) stayUp() {
	kubectl := filepath.Join(d.env.Assets(), "kubectl")
	say("The demo is up. In another terminal:")
	fmt.Printf(`
    export KUBECONFIG=%s
    alias kubectl=%s
    kubectl get spl -o wide
    kubectl get spl %s -o yaml
    kubectl get events --field-selector involvedObject.name=%s

    GitHub simulator: %s   (token for the API: ghp_demo_payments_api)
    curl -s -H "Authorization: Bearer ghp_demo_payments_api" %srepos/%s/%s/environments
    Its admin API (shows secret values in clear): curl -s -H "Authorization: Bearer %s" %s_sim/state

    Manager logs: %s

Press Ctrl-C to stop everything.
`, d.env.Kubeconfig, kubectl, pipeline, pipeline, d.sim.URL, d.sim.URL, owner, repo, d.sim.AdminToken, d.sim.URL,
		d.mgr.LogPath)
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(time.Second):
		}
		for _, p := range d.env.Processes() {
			if exited, err := p.Exited(); exited {
				fmt.Printf("\n%s exited (%v); its log %s ends with:\n%s\n", p.Name, err, p.LogPath, harness.Tail(p.LogPath, 20))
				return
			}
		}
	}
}

type pipelineStatus struct {
	Status struct {
		Conditions []struct {
			Type, Status, Reason, Message string
		} `json:"conditions"`
		Registries []struct {
			Name             string     `json:"name"`
			LastRotationTime *time.Time `json:"lastRotationTime"`
		} `json:"registries"`
	} `json:"status"`
}

func (d *demo) pipeline() (*pipelineStatus, error) {
	out, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o", "json")
	if err != nil {
		return nil, err
	}
	var p pipelineStatus
	return &p, json.Unmarshal([]byte(out), &p)
}

func (d *demo) secret(envName, name string) (*githubsim.SecretSnapshot, error) {
	r, err := d.sim.Repo(d.ctx, owner, repo)
	if err != nil {
		return nil, err
	}
	e, ok := harness.Environment(r, envName)
	if !ok {
		return nil, fmt.Errorf("GitHub has no environment %s", envName)
	}
	s, ok := harness.Secret(e, name)
	if !ok {
		return nil, fmt.Errorf("GitHub has no secret %s in environment %s (names there: %v)", name, envName, secretNames(e))
	}
	return s, nil
}

func secretNames(e *githubsim.EnvironmentSnapshot) []string {
	var n []string
	for _, s := range e.Secrets {
		n = append(n, s.Name)
	}
	slices.Sort(n)
	return n
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

func rel(p string) string {
	if r, err := filepath.Rel(harness.RepoRoot(), p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
