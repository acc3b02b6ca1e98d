//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/test/e2e/harness"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// TestHardening attacks the production gate as a hostile tenant and a repository administrator would, end
// to end: two namespaces with one repository each; the tenant's pipelines try a case-variant and a
// look-alike production environment (vector 1), and a human on GitHub turns can_admins_bypass on and
// removes the reviewers of the victim's production environment (vector 4). The victim's environments,
// reviewers and decrypted secrets on the simulator stay as declared, or are restored at the next resync.
func TestHardening(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	env := harness.ForTest(t, "secure-pipeline-hardening-")
	if err := env.CheckBinaries(false); err != nil {
		t.Fatalf("%v\n(`make build control-plane` builds them)", err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("starting etcd and kube-apiserver", env.StartControlPlane())
	must("installing the operator", env.InstallOperator(ctx))
	sim, err := env.StartSim(ctx, filepath.Join(env.Root, "test", "e2e", "testdata", "hardening-seed.yaml"))
	must("starting the simulator", err)
	_, err = env.StartManager(ctx, sim.URL)
	must("starting the manager", err)

	kubectl := func(stdin string, args ...string) (string, error) { return env.Kubectl(ctx, stdin, args...) }
	k := func(stdin string, args ...string) string {
		t.Helper()
		out, err := kubectl(stdin, args...)
		must("kubectl "+strings.Join(args, " "), err)
		return out
	}
	for _, ns := range []string{"victim", "tenant"} {
		k("", "create", "namespace", ns)
		k("", "-n", ns, "create", "secret", "generic", "github-credentials", "--from-literal=token=ghp_e2e_"+ns)
		k("", "-n", ns, "create", "secret", "generic", "prod-creds", "--type=kubernetes.io/basic-auth",
			"--from-literal=username=deployer", "--from-literal=password=prod-pass-of-"+ns)
	}
	k(hardeningPipeline("victim", sim.URL, "production", "production", ""), "-n", "victim", "apply", "-f", "-")
	k("", "-n", "victim", "wait", "--for=condition=Ready", "spl/victim", "--timeout=120s")

	g := NewWithT(t)
	victimRepo := func() *githubsim.RepoSnapshot {
		r, err := sim.Repo(ctx, "acme", "victim")
		must("reading acme/victim on the simulator", err)
		return r
	}
	// want is the victim's production environment as declared, as the checks below expect it.
	checkVictim := func(g Gomega) {
		r := victimRepo()
		var names []string
		for _, e := range r.Environments {
			names = append(names, e.Name)
		}
		g.Expect(names).To(ConsistOf("ci", "production"))
		prod, _ := harness.Environment(r, "production")
		g.Expect(prod.CanAdminsBypass).To(BeFalse(), "repository admins can bypass the reviewers")
		g.Expect(prod.PreventSelfReview).To(BeTrue())
		g.Expect(prod.Reviewers).To(HaveLen(1))
		g.Expect(prod.Reviewers[0].Login).To(Equal("alice"))
		g.Expect(hardeningSecrets(prod)).To(Equal(map[string]string{"PROD_USERNAME": "deployer", "PROD_PASSWORD": "prod-pass-of-victim"}))
	}
	checkVictim(g)

	t.Run("vector 1: case-variant and look-alike production environments are refused", func(t *testing.T) {
		g := NewWithT(t)
		// production with a reviewer holds the credential; Production, without, would strip it on GitHub.
		out, err := kubectl(hardeningPipeline("tenant", sim.URL, "production", "production", "Production"), "-n", "tenant", "apply", "-f", "-")
		g.Expect(err).To(HaveOccurred(), "admitted: %s", out)
		g.Expect(err.Error()).To(ContainSubstring("unique case-insensitively"))
		// A Cyrillic о in the production environment's name.
		out, err = kubectl(hardeningPipeline("tenant", sim.URL, "prоduction", "prоduction", ""), "-n", "tenant", "apply", "-f", "-")
		g.Expect(err).To(HaveOccurred(), "admitted: %s", out)
		g.Expect(err.Error()).To(ContainSubstring("plain ASCII"))
		// The same attacks aimed at the victim's repository from the tenant's namespace.
		out, err = kubectl(strings.ReplaceAll(hardeningPipeline("tenant", sim.URL, "production", "production", "Production"), "name: tenant\n", "name: victim\n"), "-n", "tenant", "apply", "-f", "-")
		g.Expect(err).To(HaveOccurred(), "admitted: %s", out)
		checkVictim(g)
	})

	t.Run("vector 4: a human allowing admin bypass and removing the reviewers is reverted", func(t *testing.T) {
		g := NewWithT(t)
		must("flipping can_admins_bypass on GitHub", sim.Admin(ctx, "PATCH", "_sim/repos/acme/victim/environments/production",
			map[string]any{"can_admins_bypass": true, "reviewers": nil}, nil))
		prod, _ := harness.Environment(victimRepo(), "production")
		g.Expect(prod.CanAdminsBypass).To(BeTrue())
		g.Expect(prod.Reviewers).To(BeEmpty())
		k("", "-n", "victim", "annotate", "--overwrite", "spl/victim", "ci.securepipeline.dev/reconcile-requested-at="+fmt.Sprint(time.Now().UnixNano()))
		g.Eventually(checkVictim).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
		events := k("", "-n", "victim", "get", "events", "--field-selector", "involvedObject.name=victim", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
		g.Expect(events).To(ContainSubstring("can_admins_bypass"))
		k("", "-n", "victim", "wait", "--for=condition=Ready", "spl/victim", "--timeout=60s")
	})
}

// hardeningPipeline is a pipeline on acme/<name> in the namespace <name>: a ci environment and prodEnv
// (reviewer alice) holding a production-tier credential in regEnv; extraEnv, if set, is one more
// environment without reviewers.
func hardeningPipeline(name, apiURL, prodEnv, regEnv, extraEnv string) string {
	extra := ""
	if extraEnv != "" {
		extra = "\n    - name: " + extraEnv
	}
	return fmt.Sprintf(`apiVersion: ci.securepipeline.dev/v1alpha1
kind: SecurePipeline
metadata:
  name: %[1]s
spec:
  repository:
    owner: acme
    name: %[1]s
  github:
    apiURL: %[2]s
    credentialsSecretRef:
      name: github-credentials
  workflowAudit:
    enabled: false
  environments:
    - name: ci
    - name: %[3]s
      reviewers:
        - user: alice%[5]s
  registries:
    - name: prod
      server: registry.acme.example
      environment: %[4]s
      tier: production
      credentialsSecretRef:
        name: prod-creds
`, name, apiURL, prodEnv, regEnv, extra)
}

func hardeningSecrets(e *githubsim.EnvironmentSnapshot) map[string]string {
	out := map[string]string{}
	if e == nil {
		return out
	}
	for _, s := range e.Secrets {
		out[s.Name] = s.Value
	}
	return out
}
