package github

import (
	"context"
	"errors"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/test/githubsim"
)

// defaultBranch is the simulator's default branch of seeded repositories.
const defaultBranch = "main"

func TestRepositoryUsersAndTeams(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	repo, err := c.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	admin := true
	g.Expect(*repo).To(Equal(Repository{ID: f.repoID, Owner: "acme", Name: "widgets", DefaultBranch: defaultBranch, Admin: &admin}))

	g.Expect(c.SetWebCommitSignoffRequired(ctx, "acme", "widgets", true)).To(Succeed())
	st, _ := f.sim.Repo("acme", "widgets")
	g.Expect(st.WebCommitSignoffRequired).To(BeTrue())

	id, err := c.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id).To(Equal(f.aliceID))
	_, err = c.UserID(ctx, "nobody")
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
	_, err = c.UserID(ctx, "")
	g.Expect(err).To(MatchError(ContainSubstring("login is empty")))

	id, err = c.TeamID(ctx, "acme", "platform")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id).To(Equal(f.teamID))
	_, err = c.TeamID(ctx, "acme", "nobody")
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)

	// A repository the token cannot see is a 404, as GitHub hides private repositories.
	_, err = f.client(t, tokNone).GetRepository(ctx, "acme", "widgets")
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("reading repository acme/widgets: GitHub GET /repos/{owner}/{repo} answered 404: Not Found")))
}

func TestEnvironmentsAndBranchPolicies(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	// A name that needs escaping: a space, '#' (a fragment unescaped) and '%'.
	const name = "qa eu #1 100%"

	_, err := c.GetEnvironment(ctx, "acme", "widgets", name)
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)

	want := EnvironmentSettings{
		Name:              name,
		Reviewers:         []Reviewer{{Type: ReviewerUser, ID: f.aliceID}, {Type: ReviewerTeam, ID: f.teamID}},
		PreventSelfReview: true,
		WaitTimer:         15,
		BranchPolicy:      CustomBranchPolicies,
	}
	env, err := c.PutEnvironment(ctx, "acme", "widgets", want)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.EnvironmentSettings).To(Equal(want))
	g.Expect(env.ID).NotTo(BeZero())
	g.Expect(env.CreatedAt).NotTo(BeZero())
	st, ok := f.sim.Environment("acme", "widgets", name)
	g.Expect(ok).To(BeTrue())
	g.Expect(st.WaitTimer).To(Equal(15))
	g.Expect(st.DeploymentBranchPolicy).To(Equal(&githubsim.DeploymentBranchPolicy{CustomBranchPolicies: true}))

	got, err := c.GetEnvironment(ctx, "acme", "widgets", name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(env))

	// Branch policies, including creating one that exists (GitHub redirects to it).
	main, err := c.CreateBranchPolicy(ctx, "acme", "widgets", name, BranchPolicy{Name: defaultBranch})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(main.Type).To(Equal(policyTypeBranch))
	tag, err := c.CreateBranchPolicy(ctx, "acme", "widgets", name, BranchPolicy{Name: "v*", Type: "tag"})
	g.Expect(err).NotTo(HaveOccurred())
	again, err := c.CreateBranchPolicy(ctx, "acme", "widgets", name, BranchPolicy{Name: defaultBranch, Type: policyTypeBranch})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(main))
	policies, err := c.ListBranchPolicies(ctx, "acme", "widgets", name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(policies).To(ConsistOf(*main, *tag))
	g.Expect(c.DeleteBranchPolicy(ctx, "acme", "widgets", name, main.ID)).To(Succeed())
	g.Expect(c.DeleteBranchPolicy(ctx, "acme", "widgets", name, main.ID)).To(Succeed(), "already gone is success")
	policies, err = c.ListBranchPolicies(ctx, "acme", "widgets", name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(policies).To(Equal([]BranchPolicy{*tag}))

	// More policies than one page.
	f.sim.UpdateEnvironment("acme", "widgets", name, func(e *githubsim.EnvironmentState) {
		for i := range 130 {
			e.BranchPolicies = append(e.BranchPolicies, githubsim.BranchPolicy{ID: int64(900000 + i), Name: fmt.Sprintf("release/%d", i), Type: policyTypeBranch})
		}
	})
	policies, err = c.ListBranchPolicies(ctx, "acme", "widgets", name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(policies).To(HaveLen(131))

	// Reviewers removed, protected branches only; then all branches.
	env, err = c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: name, BranchPolicy: ProtectedBranches})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.EnvironmentSettings).To(Equal(EnvironmentSettings{Name: name, BranchPolicy: ProtectedBranches}))
	env, err = c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: name, WaitTimer: 1})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.BranchPolicy).To(Equal(AllBranches))
	st, _ = f.sim.Environment("acme", "widgets", name)
	g.Expect(st.DeploymentBranchPolicy).To(BeNil())
	g.Expect(st.Reviewers).To(BeEmpty())

	// GitHub's validation answer surfaces as a 422.
	_, err = c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: name, Reviewers: []Reviewer{{Type: ReviewerUser, ID: 424242}}})
	g.Expect(IsValidation(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("Reviewer 424242 is not a valid user")))

	g.Expect(c.DeleteEnvironment(ctx, "acme", "widgets", name)).To(Succeed())
	g.Expect(c.DeleteEnvironment(ctx, "acme", "widgets", name)).To(Succeed(), "already gone is success")
	g.Expect(f.sim.EnvironmentNames("acme", "widgets")).To(BeEmpty())
}

func TestEnvironmentSecrets(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)
	const env = "prod ops"
	_, err := c.PutEnvironment(ctx, "acme", "widgets", EnvironmentSettings{Name: env})
	g.Expect(err).NotTo(HaveOccurred())

	key, err := c.EnvironmentPublicKey(ctx, f.repoID, env)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(key.KeyID).NotTo(BeEmpty())
	g.Expect(key.Key).NotTo(Equal([32]byte{}))

	sealed, err := Seal(key, []byte("s3cr3t"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.PutEnvironmentSecret(ctx, f.repoID, env, "DEPLOY_TOKEN", sealed)).To(Succeed())
	value, _, ok := f.sim.SecretValue("acme", "widgets", env, "DEPLOY_TOKEN")
	g.Expect(ok).To(BeTrue())
	g.Expect(value).To(Equal("s3cr3t"), "the simulator opened the sealed box with the environment's private key")

	secrets, err := c.ListEnvironmentSecrets(ctx, f.repoID, env)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(secrets).To(HaveLen(1))
	g.Expect(secrets[0].Name).To(Equal("DEPLOY_TOKEN"))
	g.Expect(secrets[0].UpdatedAt).NotTo(BeZero())

	// A rotated key refuses values sealed for the old one; the error never shows the sealed value.
	f.sim.RotateSecretKey("acme", "widgets", env)
	err = c.PutEnvironmentSecret(ctx, f.repoID, env, "DEPLOY_TOKEN", sealed)
	g.Expect(IsValidation(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).NotTo(ContainSubstring(sealed.EncryptedValue))
	g.Expect(err).To(MatchError(ContainSubstring("writing secret DEPLOY_TOKEN of environment \"prod ops\"")))

	// Lists page through more than 100 secrets.
	for i := range 120 {
		f.sim.SetSecretValue("acme", "widgets", env, fmt.Sprintf("S_%03d", i), "x")
	}
	secrets, err = c.ListEnvironmentSecrets(ctx, f.repoID, env)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(secrets).To(HaveLen(121))

	g.Expect(c.DeleteEnvironmentSecret(ctx, f.repoID, env, "DEPLOY_TOKEN")).To(Succeed())
	g.Expect(c.DeleteEnvironmentSecret(ctx, f.repoID, env, "DEPLOY_TOKEN")).To(Succeed(), "already gone is success")
	g.Expect(f.sim.SecretNames("acme", "widgets", env)).NotTo(ContainElement("DEPLOY_TOKEN"))
}

func TestActionsSettings(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	p, err := c.GetActionsPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*p).To(Equal(ActionsPermissions{Enabled: true, AllowedActions: "all"}))
	g.Expect(c.SetActionsPermissions(ctx, "acme", "widgets", ActionsPermissions{Enabled: true, AllowedActions: "local_only", SHAPinningRequired: true})).To(Succeed())
	g.Expect(f.sim.ActionsPermissions("acme", "widgets").SHAPinningRequired).To(BeTrue())
	p, err = c.GetActionsPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*p).To(Equal(ActionsPermissions{Enabled: true, AllowedActions: "local_only", SHAPinningRequired: true}))

	w, err := c.GetWorkflowPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*w).To(Equal(WorkflowPermissions{DefaultWorkflowPermissions: "write"}))
	g.Expect(c.SetWorkflowPermissions(ctx, "acme", "widgets", WorkflowPermissions{DefaultWorkflowPermissions: "read"})).To(Succeed())
	w, err = c.GetWorkflowPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*w).To(Equal(WorkflowPermissions{DefaultWorkflowPermissions: "read"}))
	g.Expect(f.sim.ActionsPermissions("acme", "widgets").DefaultWorkflowPermissions).To(Equal("read"))
}

func TestRulesets(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	want := Ruleset{
		Name: "secure-pipeline: required checks", Enforcement: "active",
		IncludeRefs: []string{"~DEFAULT_BRANCH"}, ExcludeRefs: []string{"refs/heads/wip/*"},
		RequiredStatusChecks: []string{"ci/test", "dco"},
	}
	created, err := c.CreateRuleset(ctx, "acme", "widgets", want)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(created.ID).NotTo(BeZero())
	want.ID, want.Target = created.ID, rulesetTargetBranch
	g.Expect(*created).To(Equal(want))

	st := f.sim.Rulesets("acme", "widgets")
	g.Expect(st).To(HaveLen(1))
	checks, ok := st[0].RequiredStatusChecks()
	g.Expect(ok).To(BeTrue())
	g.Expect(checks.StrictRequiredStatusChecksPolicy).To(BeFalse())
	g.Expect(checks.RequiredStatusChecks).To(HaveLen(2))

	got, err := c.GetRuleset(ctx, "acme", "widgets", created.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*got).To(Equal(want))
	list, err := c.ListRulesets(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(Equal([]Ruleset{{ID: created.ID, Name: want.Name, Target: rulesetTargetBranch, Enforcement: "active"}}))

	_, err = c.CreateRuleset(ctx, "acme", "widgets", want)
	g.Expect(IsValidation(err)).To(BeTrue(), "a second ruleset with the same name: %v", err)
	var apiErr *APIError
	g.Expect(errors.As(err, &apiErr)).To(BeTrue())
	g.Expect(apiErr.Errors).To(ContainElement("Ruleset.name: Name must be unique"))

	want.RequiredStatusChecks, want.Enforcement = nil, "evaluate"
	updated, err := c.UpdateRuleset(ctx, "acme", "widgets", want)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*updated).To(Equal(want))
	_, ok = f.sim.Rulesets("acme", "widgets")[0].RequiredStatusChecks()
	g.Expect(ok).To(BeFalse(), "no checks: no required_status_checks rule")

	g.Expect(c.DeleteRuleset(ctx, "acme", "widgets", created.ID)).To(Succeed())
	g.Expect(c.DeleteRuleset(ctx, "acme", "widgets", created.ID)).To(Succeed(), "already gone is success")
	_, err = c.GetRuleset(ctx, "acme", "widgets", created.ID)
	g.Expect(IsNotFound(err)).To(BeTrue(), "%v", err)
	list, err = c.ListRulesets(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(BeEmpty())
}

func TestWorkflowFiles(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, tokAdmin)

	files, err := c.WorkflowFiles(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(BeEmpty(), "no .github/workflows folder: no workflows")

	ci := []byte("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo a line long enough to wrap the base64 over several lines of sixty columns\n")
	f.sim.SetFile("acme", "widgets", ".github/workflows/ci.yml", ci)
	f.sim.SetFile("acme", "widgets", ".github/workflows/release.yaml", []byte("on: release\n"))
	f.sim.SetFile("acme", "widgets", ".github/workflows/README.md", []byte("# not a workflow\n"))
	f.sim.SetFile("acme", "widgets", ".github/workflows/nested/x.yml", []byte("on: push\n"))
	files, err = c.WorkflowFiles(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(Equal(map[string][]byte{
		".github/workflows/ci.yml":       ci,
		".github/workflows/release.yaml": []byte("on: release\n"),
	}))
}
