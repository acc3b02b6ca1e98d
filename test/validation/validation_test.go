package validation

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
)

// sample loads config/samples' SecurePipeline as a plain object, so cases can break it field by field.
func sample(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "ci_v1alpha1_securepipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// set writes value at a dotted path ("spec.environments.1.name"); numbers index lists. A nil value deletes.
func set(obj map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	var cur any = obj
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if value == nil {
					delete(c, p)
				} else {
					c[p] = value
				}
				return
			}
			if _, ok := c[p]; !ok {
				c[p] = map[string]any{}
			}
			cur = c[p]
		case []any:
			idx, err := strconv.Atoi(p)
			if err != nil {
				panic("bad index " + p + " in " + path)
			}
			if last {
				c[idx] = value
				return
			}
			cur = c[idx]
		default:
			panic("cannot descend into " + path)
		}
	}
}

type validationCase struct {
	name   string
	mutate func(obj map[string]any)
	// refused is empty when the object must be accepted; otherwise every string must appear in the error.
	refused []string
}

func TestValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []validationCase{
		{name: "sample is accepted", mutate: func(map[string]any) {}},

		// spec.repository
		{name: "owner with single hyphens", mutate: func(o map[string]any) { set(o, "spec.repository.owner", "acme-corp-1") }},
		{name: "owner starting with a hyphen", mutate: func(o map[string]any) { set(o, "spec.repository.owner", "-acme") },
			refused: []string{"spec.repository.owner"}},
		{name: "owner with a double hyphen", mutate: func(o map[string]any) { set(o, "spec.repository.owner", "ac--me") },
			refused: []string{"spec.repository.owner"}},
		{name: "owner of 40 characters", mutate: func(o map[string]any) { set(o, "spec.repository.owner", long(40)) },
			refused: []string{"spec.repository.owner", "39"}},
		{name: "owner missing", mutate: func(o map[string]any) { set(o, "spec.repository.owner", nil) },
			refused: []string{"spec.repository.owner", "Required"}},
		{name: "name with dots, underscores and hyphens", mutate: func(o map[string]any) { set(o, "spec.repository.name", "my.repo_x-1") }},
		{name: "name '.'", mutate: func(o map[string]any) { set(o, "spec.repository.name", ".") },
			refused: []string{"spec.repository.name", "must not be '.' or '..'"}},
		{name: "name '..'", mutate: func(o map[string]any) { set(o, "spec.repository.name", "..") },
			refused: []string{"spec.repository.name"}},
		{name: "name with a slash", mutate: func(o map[string]any) { set(o, "spec.repository.name", "a/b") },
			refused: []string{"spec.repository.name"}},
		{name: "name of 101 characters", mutate: func(o map[string]any) { set(o, "spec.repository.name", long(101)) },
			refused: []string{"spec.repository.name"}},

		// spec.github
		{name: "GitHub Enterprise https URL", mutate: func(o map[string]any) { set(o, "spec.github.apiURL", "https://github.example.com/api/v3/") }},
		{name: "http to 127.0.0.1", mutate: func(o map[string]any) { set(o, "spec.github.apiURL", "http://127.0.0.1:8090/") }},
		{name: "http to localhost", mutate: func(o map[string]any) { set(o, "spec.github.apiURL", "http://localhost:8090/") }},
		{name: "http to a remote host", mutate: func(o map[string]any) { set(o, "spec.github.apiURL", "http://github.example.com/") },
			refused: []string{"spec.github.apiURL", "https"}},
		{name: "apiURL that is not a URL", mutate: func(o map[string]any) { set(o, "spec.github.apiURL", "github") },
			refused: []string{"spec.github.apiURL"}},
		{name: "credentials Secret missing", mutate: func(o map[string]any) { set(o, "spec.github.credentialsSecretRef", nil) },
			refused: []string{"spec.github.credentialsSecretRef", "Required"}},
		{name: "credentials Secret in another namespace", mutate: func(o map[string]any) {
			set(o, "spec.github.credentialsSecretRef.namespace", "kube-system")
		}, refused: []string{"spec.github.credentialsSecretRef.namespace", "unknown field"}},
		{name: "credentials Secret with an invalid name", mutate: func(o map[string]any) { set(o, "spec.github.credentialsSecretRef.name", "Bad_Name") },
			refused: []string{"spec.github.credentialsSecretRef.name"}},

		// spec.actions
		{name: "write workflow permissions", mutate: func(o map[string]any) { set(o, "spec.actions.defaultWorkflowPermissions", "write") }},
		{name: "unknown workflow permissions", mutate: func(o map[string]any) { set(o, "spec.actions.defaultWorkflowPermissions", "admin") },
			refused: []string{"spec.actions.defaultWorkflowPermissions", `"read"`, `"write"`}},
		{name: "shaPinning Required", mutate: func(o map[string]any) { set(o, "spec.actions.shaPinning", "Required") }},
		{name: "shaPinning Always", mutate: func(o map[string]any) { set(o, "spec.actions.shaPinning", "Always") },
			refused: []string{"spec.actions.shaPinning"}},

		// spec.environments
		{name: "environment name of 255 characters", mutate: func(o map[string]any) {
			set(o, "spec.environments.0.name", long(255))
			set(o, "spec.registries.0.environment", long(255))
		}},
		{name: "environment name of 256 characters", mutate: func(o map[string]any) { set(o, "spec.environments.0.name", long(256)) },
			refused: []string{"spec.environments[0].name"}},
		{name: "environment name with a slash", mutate: func(o map[string]any) { set(o, "spec.environments.0.name", "ci/dev") },
			refused: []string{"spec.environments[0].name", "'/'"}},
		{name: "duplicate environment names", mutate: func(o map[string]any) { set(o, "spec.environments.1.name", "ci") },
			refused: []string{"spec.environments[1]", "Duplicate value"}},
		{name: "100 environments", mutate: func(o map[string]any) { set(o, "spec.environments", environments(100)) }},
		{name: "101 environments", mutate: func(o map[string]any) { set(o, "spec.environments", environments(101)) },
			refused: []string{"spec.environments", "100"}},
		{name: "6 reviewers", mutate: func(o map[string]any) { set(o, "spec.environments.1.reviewers", reviewers(6)) }},
		{name: "7 reviewers", mutate: func(o map[string]any) { set(o, "spec.environments.1.reviewers", reviewers(7)) },
			refused: []string{"spec.environments[1].reviewers", "6"}},
		{name: "reviewer with user and team", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.reviewers.0", map[string]any{"user": "alice", "team": "admins"})
		}, refused: []string{"spec.environments[1].reviewers[0]", "exactly one of user or team"}},
		{name: "reviewer with neither user nor team", mutate: func(o map[string]any) { set(o, "spec.environments.1.reviewers.0", map[string]any{}) },
			refused: []string{"spec.environments[1].reviewers[0]", "exactly one of user or team"}},
		{name: "reviewer login with a bad character", mutate: func(o map[string]any) { set(o, "spec.environments.1.reviewers.1.user", "al_ice") },
			refused: []string{"spec.environments[1].reviewers[1].user"}},
		{name: "wait timer of 43200 minutes", mutate: func(o map[string]any) { set(o, "spec.environments.1.waitTimerMinutes", 43200) }},
		{name: "wait timer of 43201 minutes", mutate: func(o map[string]any) { set(o, "spec.environments.1.waitTimerMinutes", 43201) },
			refused: []string{"spec.environments[1].waitTimerMinutes", "43200"}},
		{name: "negative wait timer", mutate: func(o map[string]any) { set(o, "spec.environments.1.waitTimerMinutes", -1) },
			refused: []string{"spec.environments[1].waitTimerMinutes"}},
		{name: "protected branches only", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.deploymentBranches", map[string]any{"protectedBranches": true})
		}},
		{name: "protected branches and patterns", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.deploymentBranches.protectedBranches", true)
		}, refused: []string{"spec.environments[1].deploymentBranches", "not both"}},
		{name: "deployment branches with neither", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.deploymentBranches", map[string]any{"protectedBranches": false})
		}, refused: []string{"spec.environments[1].deploymentBranches", "at least one pattern"}},
		{name: "pattern of an unknown ref type", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.deploymentBranches.patterns.1.type", "commit")
		}, refused: []string{"spec.environments[1].deploymentBranches.patterns[1].type"}},

		// spec.registries
		{name: "registry in an environment that is not declared", mutate: func(o map[string]any) { set(o, "spec.registries.0.environment", "staging") },
			refused: []string{"spec.registries", "must name an entry of spec.environments"}},
		{name: "production registry in an environment without reviewers", mutate: func(o map[string]any) { set(o, "spec.registries.1.environment", "ci") },
			refused: []string{"spec.registries", "production-tier registry", "reviewer"}},
		{name: "production registry with a reviewed environment", mutate: func(o map[string]any) {
			set(o, "spec.environments.0.reviewers", []any{map[string]any{"user": "bob"}})
			set(o, "spec.registries.0.tier", "production")
		}},
		{name: "unknown tier", mutate: func(o map[string]any) { set(o, "spec.registries.0.tier", "staging") },
			refused: []string{"spec.registries[0].tier"}},
		{name: "registry server with a scheme", mutate: func(o map[string]any) { set(o, "spec.registries.0.server", "https://ghcr.io") },
			refused: []string{"spec.registries[0].server"}},
		{name: "registry server with a port", mutate: func(o map[string]any) { set(o, "spec.registries.0.server", "registry.local:5000") }},
		{name: "registry credentials Secret missing", mutate: func(o map[string]any) { set(o, "spec.registries.0.credentialsSecretRef", nil) },
			refused: []string{"spec.registries[0].credentialsSecretRef", "Required"}},
		{name: "registry name starting with a digit", mutate: func(o map[string]any) { set(o, "spec.registries.0.name", "1reg") },
			refused: []string{"spec.registries[0].name"}},
		{name: "registry name that derives GITHUB_ secret names", mutate: func(o map[string]any) { set(o, "spec.registries.0.name", "github-cache") },
			refused: []string{"spec.registries[0].name", "GITHUB_"}},
		{name: "registry named github- with explicit secret names", mutate: func(o map[string]any) {
			set(o, "spec.registries.0.name", "github-cache")
			set(o, "spec.registries.0.secretNames", map[string]any{"username": "CACHE_USER", "password": "CACHE_TOKEN"})
		}},
		{name: "secret name starting with a digit", mutate: func(o map[string]any) { set(o, "spec.registries.0.secretNames", map[string]any{"username": "1USER"}) },
			refused: []string{"spec.registries[0].secretNames.username"}},
		{name: "secret name with the GITHUB_ prefix in lower case", mutate: func(o map[string]any) {
			set(o, "spec.registries.0.secretNames", map[string]any{"password": "github_token"})
		}, refused: []string{"spec.registries[0].secretNames.password", "GITHUB_"}},
		{name: "username and password secrets with the same name", mutate: func(o map[string]any) {
			set(o, "spec.registries.0.secretNames", map[string]any{"username": "REG", "password": "reg"})
		}, refused: []string{"spec.registries[0].secretNames", "must differ"}},
		{name: "secret name colliding with another registry's default in the same environment", mutate: func(o map[string]any) {
			o["spec"].(map[string]any)["registries"] = append(o["spec"].(map[string]any)["registries"].([]any),
				map[string]any{
					"name": "mirror", "server": "mirror.acme.example", "environment": "ci",
					"credentialsSecretRef": map[string]any{"name": "mirror"},
					"secretNames":          map[string]any{"username": "dev_registry_username"},
				})
		}, refused: []string{"spec.registries", "unique within one environment"}},
		{name: "same secret names in different environments", mutate: func(o map[string]any) {
			set(o, "spec.registries.0.secretNames", map[string]any{"username": "REGISTRY_USERNAME", "password": "REGISTRY_PASSWORD"})
			set(o, "spec.registries.1.secretNames", map[string]any{"username": "REGISTRY_USERNAME", "password": "REGISTRY_PASSWORD"})
		}},
		{name: "duplicate registry names", mutate: func(o map[string]any) { set(o, "spec.registries.1.name", "dev-registry") },
			refused: []string{"spec.registries[1]", "Duplicate value"}},
		{name: "rotateEvery of 1h", mutate: func(o map[string]any) { set(o, "spec.registries.1.rotateEvery", "1h") }},
		{name: "rotateEvery of 30m", mutate: func(o map[string]any) { set(o, "spec.registries.1.rotateEvery", "30m") },
			refused: []string{"spec.registries[1].rotateEvery", "at least 1h"}},
		{name: "rotateEvery that is not a duration", mutate: func(o map[string]any) { set(o, "spec.registries.1.rotateEvery", "monthly") },
			refused: []string{"spec.registries[1].rotateEvery"}},
		{name: "ExternalSecret in another namespace", mutate: func(o map[string]any) {
			set(o, "spec.registries.1.externalSecretRef.namespace", "eso")
		}, refused: []string{"spec.registries[1].externalSecretRef.namespace", "unknown field"}},

		// spec.dco, spec.workflowAudit, spec.deletionPolicy
		{name: "empty status check", mutate: func(o map[string]any) { set(o, "spec.dco.statusCheck", "") },
			refused: []string{"spec.dco.statusCheck"}},
		{name: "audit interval of 1m", mutate: func(o map[string]any) { set(o, "spec.workflowAudit.interval", "1m") }},
		{name: "audit interval of 30s", mutate: func(o map[string]any) { set(o, "spec.workflowAudit.interval", "30s") },
			refused: []string{"spec.workflowAudit.interval", "at least 1m"}},
		{name: "disabling a known rule", mutate: func(o map[string]any) { set(o, "spec.workflowAudit.disabledRules", []any{"SP003", "SP010", "SP012"}) }},
		{name: "disabling an unknown rule", mutate: func(o map[string]any) { set(o, "spec.workflowAudit.disabledRules", []any{"SP013"}) },
			refused: []string{"spec.workflowAudit.disabledRules[0]"}},
		{name: "an acknowledgement", mutate: func(o map[string]any) {
			set(o, "spec.workflowAudit.ignore", []any{map[string]any{"rule": "SP001", "path": ".github/workflows/*.yml",
				"job": "bump", "action": "actions/checkout", "reason": "pushes the changelog"}})
		}},
		{name: "an acknowledgement without a reason", mutate: func(o map[string]any) {
			set(o, "spec.workflowAudit.ignore", []any{map[string]any{"rule": "SP001", "path": "x.yml"}})
		}, refused: []string{"spec.workflowAudit.ignore[0].reason", "Required value"}},
		{name: "an acknowledgement with a blank reason", mutate: func(o map[string]any) {
			set(o, "spec.workflowAudit.ignore", []any{map[string]any{"rule": "SP001", "path": "x.yml", "reason": "   "}})
		}, refused: []string{"spec.workflowAudit.ignore[0].reason"}},
		{name: "an acknowledgement of an unknown rule", mutate: func(o map[string]any) {
			set(o, "spec.workflowAudit.ignore", []any{map[string]any{"rule": "SP099", "path": "x.yml", "reason": "r"}})
		}, refused: []string{"spec.workflowAudit.ignore[0].rule"}},
		{name: "deletion policy Delete", mutate: func(o map[string]any) { set(o, "spec.deletionPolicy", "Delete") }},
		{name: "deletion policy Keep", mutate: func(o map[string]any) { set(o, "spec.deletionPolicy", "Keep") },
			refused: []string{"spec.deletionPolicy", `"Orphan"`, `"Delete"`}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := sample(t)
			set(obj, "metadata.namespace", "default")
			tc.mutate(obj)
			u := &unstructured.Unstructured{Object: obj}
			err := env.Client.Create(context.Background(), u, client.DryRunAll,
				client.FieldValidation("Strict"))
			if len(tc.refused) == 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred(), "the API server accepted an invalid SecurePipeline")
			for _, want := range tc.refused {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
}

func environments(n int) []any {
	envs := []any{
		map[string]any{"name": "ci"},
		map[string]any{"name": "production", "reviewers": []any{map[string]any{"user": "alice"}}},
	}
	for i := 2; i < n; i++ {
		envs = append(envs, map[string]any{"name": "env-" + strconv.Itoa(i)})
	}
	return envs
}

func reviewers(n int) []any {
	var rs []any
	for i := range n {
		rs = append(rs, map[string]any{"user": "user-" + strconv.Itoa(i)})
	}
	return rs
}

// TestDefaults checks what a minimal pipeline gets from the schema's defaults: the least-privilege choices.
func TestDefaults(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	p := &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: "default"},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			GitHub:     civ1alpha1.GitHubConnection{CredentialsSecretRef: civ1alpha1.SecretReference{Name: "gh"}},
			Environments: []civ1alpha1.Environment{{
				Name:               "production",
				Reviewers:          []civ1alpha1.Reviewer{{User: "alice"}},
				DeploymentBranches: &civ1alpha1.DeploymentBranches{Patterns: []civ1alpha1.DeploymentBranchPattern{{Name: "main"}}},
			}},
			Registries: []civ1alpha1.Registry{{
				Name: "prod", Server: "ghcr.io", Environment: "production",
				CredentialsSecretRef: civ1alpha1.SecretReference{Name: "prod"},
			}},
		},
	}
	g.Expect(env.Client.Create(ctx, p)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx, p) })

	got := &civ1alpha1.SecurePipeline{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
	s := got.Spec
	g.Expect(s.Actions.DefaultWorkflowPermissions).To(Equal(civ1alpha1.WorkflowPermissionsRead))
	g.Expect(s.Actions.CanApprovePullRequestReviews).To(BeFalse())
	g.Expect(s.Actions.SHAPinning).To(Equal(civ1alpha1.SHAPinningWhenCompliant))
	g.Expect(s.Environments[0].PreventSelfReview).To(HaveValue(BeTrue()))
	g.Expect(s.Environments[0].DeploymentBranches.Patterns[0].Type).To(Equal(civ1alpha1.RefTypeBranch))
	g.Expect(s.Registries[0].Tier).To(Equal(civ1alpha1.RegistryTierDevelopment))
	g.Expect(s.DCO.StatusCheck).To(Equal("DCO"))
	g.Expect(s.DCO.RequireWebCommitSignoff).To(HaveValue(BeTrue()))
	g.Expect(s.WorkflowAudit.Enabled).To(HaveValue(BeTrue()))
	g.Expect(s.WorkflowAudit.Interval.Duration.String()).To(Equal("1h0m0s"))
	g.Expect(s.DeletionPolicy).To(Equal(civ1alpha1.DeletionPolicyOrphan))
	user, pass := s.Registries[0].EffectiveSecretNames()
	g.Expect(user).To(Equal("PROD_USERNAME"))
	g.Expect(pass).To(Equal("PROD_PASSWORD"))
}
