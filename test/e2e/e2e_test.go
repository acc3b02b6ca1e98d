//go:build e2e

// Package e2e runs the operator end to end, as it runs for real but on one machine and on loopback only:
// a real etcd and kube-apiserver, kubectl, the GitHub simulator as a process, the manager binary out of
// cluster under its ServiceAccount's RBAC from config/, and the real External Secrets Operator controller.
// Run it with `make test-e2e`, which builds everything it needs first.
package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/e2e/harness"
	"github.com/secure-pipeline/operator/test/githubsim"
)

const (
	namespace    = "payments"
	pipelineName = "payments-api"
	owner        = "acme"
	repo         = "payments-api"
	// githubToken is the token the seed (testdata/seed.yaml) grants on acme/payments-api.
	githubToken = "ghp_e2e_payments"

	devServer   = "registry.dev.acme.example"
	devUser     = "ci-bot"
	prodUser    = "release-bot"
	devEnv      = "ci"
	prodEnv     = "production"
	humanSecret = "NPM_TOKEN"
	humanValue  = "npm-token-of-a-human"
	// prodCreds names the ExternalSecret and the Secret it renders; prodRegistry is the pipeline's registry.
	prodCreds    = "prod-registry-credentials"
	prodRegistry = "prod-registry"
	devPassword  = "DEV_REGISTRY_PASSWORD"

	// suiteBudget keeps the whole run within CI's expectations (make test-e2e's go test -timeout is a
	// backstop that would skip the clean-up).
	suiteBudget = 8 * time.Minute
	waitLong    = 2 * time.Minute
	poll        = 500 * time.Millisecond
)

// suite is what the steps share.
type suite struct {
	ctx     context.Context
	env     *harness.Env
	sim     *harness.Sim
	manager *harness.Manager
}

func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), suiteBudget)
	defer cancel()
	started := time.Now()

	env := harness.ForTest(t, "secure-pipeline-e2e-")
	s := &suite{ctx: ctx, env: env}
	// Clean-ups run last-registered first: dump what helps on failure, then stop every process.
	t.Cleanup(func() { t.Logf("end-to-end run took %s", time.Since(started).Round(time.Second)) })
	t.Cleanup(func() {
		if t.Failed() {
			s.dump(t)
		}
	})

	if err := env.CheckBinaries(true); err != nil {
		t.Fatalf("%v\n(`make test-e2e` builds them all)", err)
	}
	s.setUp(t)

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the pipeline is reconciled", s.pipelineIsReconciled},
		{"GitHub holds the environments, Actions settings and DCO ruleset", s.gitHubMatches},
		{"the workflow audit reports the seeded findings", s.auditFindings},
		{"the publishing inventory follows make into the Makefile", s.publishingInventory},
		// The registry-credentials part of the reconciler (internal/controller/credentials*.go, rotation.go).
		{"registry credentials are on GitHub, decrypted", s.credentialsPushed},
		{"a new dev registry Secret reaches GitHub", s.devRotation},
		{"rotateEvery makes the operator trigger External Secrets Operator", s.esoRotation},
		{"the manager serves metrics", s.metrics},
		{"the metrics are only for a scraper the API server authorizes", s.metricsAccess},
		{"deleting with deletionPolicy Delete cleans GitHub up", s.deletion},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			t.FailNow()
		}
	}
}

// setUp starts everything and creates the pipeline.
func (s *suite) setUp(t *testing.T) {
	env, ctx := s.env, s.ctx
	step := func(msg string, f func() error) {
		t.Helper()
		t0 := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		t.Logf("%s (%s)", msg, time.Since(t0).Round(10*time.Millisecond))
	}
	step("started etcd and kube-apiserver", env.StartControlPlane)
	step("installed the operator's CRDs and config/default's RBAC", func() error { return env.InstallOperator(ctx) })
	step("installed External Secrets Operator's CRDs", func() error { return env.InstallExternalSecretsCRDs(ctx) })
	step("started the GitHub simulator", func() (err error) {
		s.sim, err = env.StartSim(ctx, filepath.Join(env.Root, "test", "e2e", "testdata", "seed.yaml"))
		return err
	})
	step("started the manager as its ServiceAccount", func() (err error) {
		s.manager, err = env.StartManager(ctx, s.sim.URL)
		return err
	})
	step("started External Secrets Operator", func() error {
		_, err := env.StartExternalSecrets(ctx)
		return err
	})

	// An environment and a secret that a human made before the operator came: deletion must leave them.
	step("made environment ci with a human's secret on GitHub", func() error {
		base := "_sim/repos/" + owner + "/" + repo + "/environments/" + devEnv
		if err := s.sim.Admin(ctx, "PATCH", base, map[string]any{}, nil); err != nil {
			return err
		}
		return s.sim.Admin(ctx, "PUT", base+"/secrets/"+humanSecret, map[string]string{"value": humanValue}, nil)
	})

	k := s.kubectl(t)
	k("", "create", "namespace", namespace)
	k("", "-n", namespace, "create", "secret", "generic", "github-credentials", "--from-literal=token="+githubToken)
	s.applyDevSecret(t, "dev-password-1")
	// The production credential comes from External Secrets Operator: its Password generator behind an
	// ExternalSecret that renders a basic-auth Secret.
	k(`apiVersion: generators.external-secrets.io/v1alpha1
kind: Password
metadata:
  name: prod-registry-password
spec:
  length: 32
  digits: 8
  symbols: 0
  noUpper: false
  allowRepeat: true
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: prod-registry-credentials
spec:
  refreshInterval: 1h
  target:
    name: prod-registry-credentials
    creationPolicy: Owner
    template:
      type: kubernetes.io/basic-auth
      engineVersion: v2
      data:
        username: `+prodUser+`
        password: "{{ .password }}"
  dataFrom:
    - sourceRef:
        generatorRef:
          apiVersion: generators.external-secrets.io/v1alpha1
          kind: Password
          name: prod-registry-password
`, "-n", namespace, "apply", "-f", "-")
	step("External Secrets Operator created Secret prod-registry-credentials", func() error {
		return s.eventually(waitLong, func() error {
			_, err := s.secretValue(prodCreds, "password")
			return err
		})
	})

	// The sample pipeline, adapted: the simulator's URL, rotation due every hour (the shortest allowed),
	// and deletionPolicy Delete so that deleting it cleans GitHub up.
	b, err := os.ReadFile(filepath.Join(env.Root, "config", "samples", "ci_v1alpha1_securepipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p civ1alpha1.SecurePipeline
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatalf("reading the sample pipeline: %v", err)
	}
	if p.Name != pipelineName || p.Spec.Repository.Owner != owner || p.Spec.Repository.Name != repo ||
		len(p.Spec.Registries) != 2 {
		t.Fatalf("the sample pipeline changed shape (want %s on %s/%s with a dev and a prod registry): "+
			"update the e2e suite", pipelineName, owner, repo)
	}
	p.Namespace = namespace
	p.Spec.GitHub.APIURL = s.sim.URL
	p.Spec.DeletionPolicy = civ1alpha1.DeletionPolicyDelete
	for i := range p.Spec.Registries {
		if r := &p.Spec.Registries[i]; r.Name == prodRegistry {
			if r.ExternalSecretRef == nil || r.ExternalSecretRef.Name != prodCreds || r.CredentialsSecretRef.Name != prodCreds {
				t.Fatalf("the sample's %s no longer reads Secret %s produced by ExternalSecret %s: update the e2e suite",
					prodRegistry, prodCreds, prodCreds)
			}
			r.RotateEvery = &metav1.Duration{Duration: time.Hour}
		}
	}
	manifest, err := yaml.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	k(string(manifest), "apply", "-f", "-")
	t.Logf("applied the sample SecurePipeline %s/%s (apiURL %s, deletionPolicy Delete, prod rotateEvery 1h)",
		namespace, pipelineName, s.sim.URL)
}

func (s *suite) pipelineIsReconciled(t *testing.T) {
	g := NewWithT(t)
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "wait", "--for=condition=Ready", "spl/"+pipelineName,
		"--timeout=120s")
	g.Expect(err).NotTo(HaveOccurred())
	t.Log(strings.TrimSpace(out))
	out, _ = s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "spl", "-o", "wide")
	t.Logf("\n%s", out)
	p := s.pipeline(t)
	g.Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))
	for _, c := range []string{civ1alpha1.RepositorySettingsReadyCondition, civ1alpha1.EnvironmentsReadyCondition,
		civ1alpha1.CredentialsReadyCondition, civ1alpha1.CredentialsRotatedCondition, civ1alpha1.DCOEnforcedCondition} {
		g.Expect(condition(p, c)).To(HaveField("Status", metav1.ConditionTrue), c)
	}
}

func (s *suite) gitHubMatches(t *testing.T) {
	g := NewWithT(t)
	r := s.repo(t)
	ci, ok := harness.Environment(r, devEnv)
	g.Expect(ok).To(BeTrue(), "environment ci")
	_, ok = harness.Secret(ci, humanSecret)
	g.Expect(ok).To(BeTrue(), "the human's secret in ci")

	prod, ok := harness.Environment(r, prodEnv)
	g.Expect(ok).To(BeTrue(), "environment production")
	var reviewers []string
	for _, rv := range prod.Reviewers {
		reviewers = append(reviewers, rv.Type+":"+rv.Login+rv.Slug)
	}
	g.Expect(reviewers).To(ConsistOf("Team:release-managers", "User:alice"))
	g.Expect(prod.PreventSelfReview).To(BeTrue())
	g.Expect(prod.WaitTimer).To(Equal(5))
	g.Expect(prod.DeploymentBranchPolicy).To(Equal(&githubsim.DeploymentBranchPolicy{CustomBranchPolicies: true}))
	var policies []string
	for _, bp := range prod.BranchPolicies {
		policies = append(policies, bp.Type+":"+bp.Name)
	}
	g.Expect(policies).To(ConsistOf("branch:main", "tag:v*"))

	g.Expect(r.Actions.DefaultWorkflowPermissions).To(Equal("read"))
	g.Expect(r.Actions.CanApprovePullRequestReviews).To(BeFalse())
	// shaPinning WhenCompliant: the seeded workflow uses a tag (SP002), so pinning stays off for now.
	g.Expect(r.Actions.SHAPinningRequired).To(BeFalse())
	g.Expect(r.WebCommitSignoffRequired).To(BeTrue())
	g.Expect(r.Rulesets).To(HaveLen(1))
	checks, ok := r.Rulesets[0].RequiredStatusChecks()
	g.Expect(ok).To(BeTrue())
	g.Expect(r.Rulesets[0].Enforcement).To(Equal("active"))
	g.Expect(fmt.Sprint(checks)).To(ContainSubstring("DCO"))

	p := s.pipeline(t)
	g.Expect(p.Status.RepositoryID).To(Equal(r.ID))
	g.Expect(p.Status.DCORulesetID).To(Equal(r.Rulesets[0].ID))
	created := map[string]bool{}
	for _, e := range p.Status.Environments {
		created[e.Name] = e.CreatedByOperator
	}
	g.Expect(created).To(Equal(map[string]bool{devEnv: false, prodEnv: true}), "status.environments[].createdByOperator")
}

func (s *suite) auditFindings(t *testing.T) {
	g := NewWithT(t)
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "spl", pipelineName, "-o",
		`jsonpath={range .status.findings[*]}{.file}:{.line}:{.column} {.rule} {.severity}{"\n"}{end}`)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("status.findings:\n%s", out)
	g.Expect(out).To(ContainSubstring(".github/workflows/release.yml:5:14 SP004"))
	g.Expect(out).To(ContainSubstring(".github/workflows/release.yml:11:15 SP002"))
	c := condition(s.pipeline(t), civ1alpha1.WorkflowsCompliantCondition)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(civ1alpha1.FindingsReason))
}

func (s *suite) credentialsPushed(t *testing.T) {
	g := NewWithT(t)
	prodPassword, err := s.secretValue(prodCreds, "password")
	g.Expect(err).NotTo(HaveOccurred())
	r := s.repo(t)
	ci, _ := harness.Environment(r, devEnv)
	prod, _ := harness.Environment(r, prodEnv)
	g.Expect(secretValues(ci)).To(Equal(map[string]string{
		"DEV_REGISTRY_USERNAME": devUser, devPassword: "dev-password-1", humanSecret: humanValue,
	}))
	g.Expect(secretValues(prod)).To(Equal(map[string]string{
		"PROD_REGISTRY_USERNAME": prodUser, "PROD_REGISTRY_PASSWORD": prodPassword,
	}))
	p := s.pipeline(t)
	for _, name := range []string{"dev-registry", prodRegistry} {
		st := registryStatus(p, name)
		g.Expect(st).NotTo(BeNil(), "status.registries[%s]", name)
		g.Expect(st.Fingerprint).NotTo(BeEmpty())
		g.Expect(st.LastPushTime).NotTo(BeNil())
		g.Expect(st.LastRotationTime).NotTo(BeNil())
	}
	// The status never holds a value.
	raw, _ := json.Marshal(p.Status)
	g.Expect(string(raw)).NotTo(ContainSubstring(prodPassword))
	g.Expect(string(raw)).NotTo(ContainSubstring("dev-password-1"))
}

func (s *suite) devRotation(t *testing.T) {
	g := NewWithT(t)
	before, ok := harness.Secret(s.env0(t, devEnv), devPassword)
	g.Expect(ok).To(BeTrue())
	time.Sleep(time.Second) // updated_at has a resolution of one second
	s.applyDevSecret(t, "dev-password-2")
	var after time.Time
	g.Expect(s.eventually(waitLong, func() error {
		sec, ok := harness.Secret(s.env0(t, devEnv), devPassword)
		if !ok || sec.Value != "dev-password-2" {
			return fmt.Errorf("DEV_REGISTRY_PASSWORD on GitHub is not the new value yet")
		}
		if !sec.UpdatedAt.After(before.UpdatedAt) {
			return fmt.Errorf("updated_at did not move: %s", sec.UpdatedAt)
		}
		after = sec.UpdatedAt
		return nil
	})).To(Succeed())
	t.Logf("DEV_REGISTRY_PASSWORD updated on GitHub (updated_at %s -> %s)",
		before.UpdatedAt.Format(time.RFC3339), after.Format(time.RFC3339))
}

func (s *suite) esoRotation(t *testing.T) {
	g := NewWithT(t)
	oldPassword, err := s.secretValue(prodCreds, "password")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.forceSync()).To(BeEmpty(), "no force-sync annotation before rotation is due")

	// Make the rotation due: age status.registries[prod-registry].lastRotationTime by two hours through the
	// status subresource, then ask for a reconcile (status updates alone do not trigger one). A reconcile
	// that was in flight may write its own status back, so repeat until the operator has acted.
	g.Expect(s.eventually(waitLong, func() error {
		if v := s.forceSync(); v != "" {
			return nil
		}
		p := s.pipeline(t)
		st := registryStatus(p, prodRegistry)
		if st == nil || st.LastRotationTime == nil {
			return fmt.Errorf("status.registries[prod-registry].lastRotationTime is not set")
		}
		if time.Since(st.LastRotationTime.Time) < time.Hour {
			old := metav1.NewTime(time.Now().Add(-2 * time.Hour).Truncate(time.Second))
			st.LastRotationTime = &old
			patch, _ := json.Marshal(map[string]any{"status": map[string]any{"registries": p.Status.Registries}})
			if _, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "patch", "spl", pipelineName,
				"--subresource=status", "--type=merge", "-p", string(patch)); err != nil {
				return err
			}
			if _, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "annotate", "--overwrite", "spl", pipelineName,
				civ1alpha1.ReconcileRequestAnnotation+"="+strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
				return err
			}
		}
		return fmt.Errorf("ExternalSecret prod-registry-credentials has no force-sync annotation yet")
	})).To(Succeed())
	t.Logf("the operator annotated ExternalSecret prod-registry-credentials with force-sync=%s", s.forceSync())

	var newPassword string
	g.Expect(s.eventually(waitLong, func() error {
		v, err := s.secretValue(prodCreds, "password")
		if err != nil {
			return err
		}
		if v == oldPassword {
			return fmt.Errorf("External Secrets Operator has not regenerated the password yet")
		}
		newPassword = v
		return nil
	})).To(Succeed())
	t.Log("External Secrets Operator regenerated Secret prod-registry-credentials")

	g.Expect(s.eventually(waitLong, func() error {
		sec, ok := harness.Secret(s.env0(t, prodEnv), "PROD_REGISTRY_PASSWORD")
		if !ok || sec.Value != newPassword {
			return fmt.Errorf("PROD_REGISTRY_PASSWORD on GitHub is not the regenerated password yet")
		}
		return nil
	})).To(Succeed())
	t.Log("the regenerated password reached GitHub")

	g.Expect(s.eventually(waitLong, func() error {
		p := s.pipeline(t)
		c := condition(p, civ1alpha1.CredentialsRotatedCondition)
		if c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("CredentialsRotated is %v", c)
		}
		// rotationRequestedTime is not checked here: the reconcile that pushes the new value can start from a
		// cached pipeline that predates the status patch recording the request, and its patch replaces
		// status.registries whole. The RotationRequested event below is the durable record.
		st := registryStatus(p, prodRegistry)
		if st == nil || st.LastRotationTime == nil || time.Since(st.LastRotationTime.Time) > time.Hour {
			return fmt.Errorf("status.registries[prod-registry] does not record the rotation: %+v", st)
		}
		return nil
	})).To(Succeed())
	events, _ := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "events",
		"--field-selector=involvedObject.name="+pipelineName,
		"-o", `jsonpath={range .items[*]}{.reason}{"\n"}{end}`)
	g.Expect(strings.Fields(events)).To(ContainElement("RotationRequested"))
}

func (s *suite) metrics(t *testing.T) {
	g := NewWithT(t)
	m, err := s.manager.Metrics(s.ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m).To(ContainSubstring(`controller_runtime_reconcile_total{controller="securepipeline",result="success"}`))
	g.Expect(m).To(ContainSubstring("securepipeline_github_requests_total"))
}

// metricsAccess reads the metrics as an attacker would: with no token, a made-up one, and a real
// ServiceAccount's token that no binding allows /metrics. The manager asks the API server about each
// (TokenReview, SubjectAccessReview) under config/rbac's metrics-auth-role.
func (s *suite) metricsAccess(t *testing.T) {
	g := NewWithT(t)
	intruder, err := s.env.ServiceAccountToken(s.ctx, namespace, "intruder", "")
	g.Expect(err).NotTo(HaveOccurred())
	madeUp := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVtbzpwcm9tZXRoZXVzIn0.c2ln"
	for _, tc := range []struct {
		who   string
		token string
		code  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a made-up token", madeUp, http.StatusUnauthorized},
		{"a ServiceAccount without the metrics-reader binding", intruder, http.StatusForbidden},
		{"the scraper bound to metrics-reader", s.manager.MetricsToken, http.StatusOK},
	} {
		code, body, err := s.manager.MetricsAs(s.ctx, tc.token)
		g.Expect(err).NotTo(HaveOccurred(), tc.who)
		g.Expect(code).To(Equal(tc.code), "%s: %s", tc.who, body)
		if code != http.StatusOK {
			g.Expect(body).NotTo(ContainSubstring("securepipeline_"), tc.who)
		}
	}
}

func (s *suite) deletion(t *testing.T) {
	g := NewWithT(t)
	_, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "delete", "spl", pipelineName, "--timeout=120s")
	g.Expect(err).NotTo(HaveOccurred())
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "spl", "-o", "name")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(out)).To(BeEmpty())

	r := s.repo(t)
	var envs []string
	for _, e := range r.Environments {
		envs = append(envs, e.Name)
	}
	g.Expect(envs).To(Equal([]string{devEnv}),
		"production, which the operator created, is gone; ci, which a human made, stays")
	ci, _ := harness.Environment(r, devEnv)
	g.Expect(secretValues(ci)).To(Equal(map[string]string{humanSecret: humanValue}),
		"the operator's secrets are gone from ci, the human's stays")
	g.Expect(r.Rulesets).To(BeEmpty(), "the DCO ruleset is gone")
}

// --- helpers ---

func (s *suite) kubectl(t *testing.T) func(stdin string, args ...string) string {
	return func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.env.Kubectl(s.ctx, stdin, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func (s *suite) applyDevSecret(t *testing.T, password string) {
	t.Helper()
	k := s.kubectl(t)
	secret := k("", "-n", namespace, "create", "secret", "docker-registry", "dev-registry-credentials",
		"--docker-server="+devServer, "--docker-username="+devUser, "--docker-password="+password,
		"--dry-run=client", "-o", "yaml")
	k(secret, "-n", namespace, "apply", "-f", "-")
}

func (s *suite) secretValue(name, key string) (string, error) {
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "secret", name, "-o", "jsonpath={.data."+key+"}")
	if err != nil {
		return "", err
	}
	if out == "" {
		return "", fmt.Errorf("secret %s has no %s", name, key)
	}
	b, err := base64.StdEncoding.DecodeString(out)
	return string(b), err
}

func (s *suite) forceSync() string {
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "externalsecret", prodCreds,
		"-o", "json")
	if err != nil {
		return ""
	}
	var es metav1.PartialObjectMetadata
	_ = json.Unmarshal([]byte(out), &es)
	return es.Annotations["force-sync"]
}

func (s *suite) pipeline(t *testing.T) *civ1alpha1.SecurePipeline {
	t.Helper()
	out, err := s.env.Kubectl(s.ctx, "", "-n", namespace, "get", "spl", pipelineName, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var p civ1alpha1.SecurePipeline
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func (s *suite) repo(t *testing.T) *githubsim.RepoSnapshot {
	t.Helper()
	r, err := s.sim.Repo(s.ctx, owner, repo)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// env0 is one environment of the repository as GitHub holds it now (nil if absent).
func (s *suite) env0(t *testing.T, name string) *githubsim.EnvironmentSnapshot {
	e, _ := harness.Environment(s.repo(t), name)
	return e
}

func (s *suite) eventually(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-s.ctx.Done():
			return fmt.Errorf("%w (last: %v)", s.ctx.Err(), err)
		case <-time.After(poll):
		}
	}
}

func (s *suite) dump(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, args := range [][]string{
		{"get", "spl", "-A", "-o", "yaml"},
		{"get", "externalsecrets,secrets", "-n", namespace},
		{"get", "events", "-n", namespace, "--sort-by=.lastTimestamp"},
	} {
		out, err := s.env.Kubectl(ctx, "", args...)
		t.Logf("$ kubectl %s\n%s%v", strings.Join(args, " "), out, errOrEmpty(err))
	}
	for _, p := range s.env.Processes() {
		t.Logf("--- %s log (%s), last 150 lines ---\n%s", p.Name, p.LogPath, harness.Tail(p.LogPath, 150))
	}
}

func errOrEmpty(err error) any {
	if err == nil {
		return ""
	}
	return err
}

func condition(p *civ1alpha1.SecurePipeline, t string) *metav1.Condition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func registryStatus(p *civ1alpha1.SecurePipeline, name string) *civ1alpha1.RegistryStatus {
	i := slices.IndexFunc(p.Status.Registries, func(r civ1alpha1.RegistryStatus) bool { return r.Name == name })
	if i < 0 {
		return nil
	}
	return &p.Status.Registries[i]
}

func secretValues(e *githubsim.EnvironmentSnapshot) map[string]string {
	out := map[string]string{}
	if e == nil {
		return out
	}
	for _, sc := range e.Secrets {
		out[sc.Name] = sc.Value
	}
	return out
}
