package controller_test

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/controller"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// A platform engineer declares a pipeline; GitHub ends up with gated environments, least-privilege Actions
// settings and DCO enforced, and the pipeline says Ready.
func TestPipelineBecomesReadyAndGitHubMatches(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitReady(t, key)
	g.Expect(got.Finalizers).To(ContainElement(controller.Finalizer))
	g.Expect(got.Status.RepositoryID).NotTo(BeZero())
	g.Expect(condition(got, civ1alpha1.StalledCondition).Status).To(BeEmpty())
	g.Expect(condition(got, civ1alpha1.ReconcilingCondition).Status).To(BeEmpty())
	for _, c := range []string{civ1alpha1.EnvironmentsReadyCondition, civ1alpha1.RepositorySettingsReadyCondition, civ1alpha1.DCOEnforcedCondition} {
		g.Expect(condition(got, c).Status).To(Equal(metav1.ConditionTrue), c)
	}

	prod, ok := sim.Environment("acme", "web", "production")
	g.Expect(ok).To(BeTrue())
	g.Expect(prod.Reviewers).To(ConsistOf(
		HaveField("Login", "alice"), HaveField("Slug", "release-managers")))
	g.Expect(prod.PreventSelfReview).To(BeTrue())
	g.Expect(prod.WaitTimer).To(Equal(5))
	g.Expect(prod.DeploymentBranchPolicy).To(HaveValue(HaveField("CustomBranchPolicies", true)))
	g.Expect(prod.BranchPolicies).To(ConsistOf(
		SatisfyAll(HaveField("Name", "main"), HaveField("Type", "branch")),
		SatisfyAll(HaveField("Name", "v*"), HaveField("Type", "tag"))))
	ci, ok := sim.Environment("acme", "web", "ci")
	g.Expect(ok).To(BeTrue())
	g.Expect(ci.Reviewers).To(BeEmpty())
	g.Expect(ci.DeploymentBranchPolicy).To(BeNil())

	actions := sim.ActionsPermissions("acme", "web")
	g.Expect(actions.DefaultWorkflowPermissions).To(Equal("read"))
	g.Expect(actions.CanApprovePullRequestReviews).To(BeFalse())

	rulesets := sim.Rulesets("acme", "web")
	g.Expect(rulesets).To(HaveLen(1))
	g.Expect(rulesets[0].Name).To(Equal(controller.DCORulesetName))
	checks, ok := rulesets[0].RequiredStatusChecks()
	g.Expect(ok).To(BeTrue())
	g.Expect(checks.RequiredStatusChecks).To(ConsistOf(HaveField("Context", "DCO")))
	repo, _ := sim.Repo("acme", "web")
	g.Expect(repo.WebCommitSignoffRequired).To(BeTrue())

	g.Expect(got.Status.Environments).To(ConsistOf(
		SatisfyAll(HaveField("Name", "ci"), HaveField("CreatedByOperator", true)),
		SatisfyAll(HaveField("Name", "production"), HaveField("CreatedByOperator", true), HaveField("Reviewers", int32(2)))))

	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElements(
		ContainSubstring("EnvironmentCreated: created environment production of acme/web"),
		ContainSubstring("WorkflowPermissionsUpdated"),
		ContainSubstring("DCORulesetCreated"),
		ContainSubstring("Normal Ready"),
	))
}

// Once GitHub matches, a resync of an unchanged pipeline writes nothing and reads only conditionally
// (304s through the ETag cache), so it costs no primary rate limit.
func TestSteadyStateResyncIsFree(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.SetFile("acme", "web", ".github/workflows/ci.yml", []byte(cleanWorkflow))
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	p.Spec.WorkflowAudit.Interval = &metav1.Duration{Duration: 60_000_000_000} // 1m: every resync below audits again
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	requestResync(t, key) // the first resync may still read unconditionally what the first run wrote

	sim.ResetRequests()
	requestResync(t, key)
	reqs := sim.Requests()
	g.Expect(reqs).NotTo(BeEmpty(), "the resync did not compare anything with GitHub")
	g.Expect(writes(reqs)).To(BeEmpty(), "a steady-state resync wrote to GitHub")
	g.Expect(unconditionalReads(reqs)).To(BeEmpty(), "a steady-state resync read without If-None-Match")
	for _, r := range reqs {
		g.Expect(r.Status).To(Equal(304), "%s %s was not answered from the ETag cache", r.Method, r.Path)
	}
	g.Expect(condition(get(t, key), civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
}

// A human edits the production environment on GitHub; the next resync puts it back and says what drifted.
func TestDriftIsReverted(t *testing.T) {
	g := NewWithT(t)
	sim, ns, key := readyPipeline(t, nil)

	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) {
		e.Reviewers = nil
		e.WaitTimer = 0
	})
	sim.UpdateActionsPermissions("acme", "web", func(a *githubsim.ActionsState) {
		a.DefaultWorkflowPermissions = "write"
		a.CanApprovePullRequestReviews = true
	})
	for _, rs := range sim.Rulesets("acme", "web") {
		sim.DeleteRuleset("acme", "web", rs.ID)
	}
	requestResync(t, key)

	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
	g.Expect(prod.WaitTimer).To(Equal(5))
	g.Expect(sim.ActionsPermissions("acme", "web").DefaultWorkflowPermissions).To(Equal("read"))
	g.Expect(sim.ActionsPermissions("acme", "web").CanApprovePullRequestReviews).To(BeFalse())
	g.Expect(sim.Rulesets("acme", "web")).To(ContainElement(HaveField("Name", controller.DCORulesetName)))
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).WithTimeout(timeout).Should(ContainElement(
		ContainSubstring("reverted reviewers, prevent_self_review, wait_timer on environment production of acme/web")))
}

// Changing the reviewers and patterns in the spec changes them on GitHub, exactly.
func TestSpecChangesReachGitHub(t *testing.T) {
	g := NewWithT(t)
	sim, _, key := readyPipeline(t, nil)

	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Environments[1].Reviewers = []civ1alpha1.Reviewer{{User: "bob"}}
		p.Spec.Environments[1].DeploymentBranches.Patterns = []civ1alpha1.DeploymentBranchPattern{{Name: "release/*", Type: civ1alpha1.RefTypeBranch}}
	})
	waitReady(t, key)

	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(ConsistOf(HaveField("Login", "bob")))
	names := make([]string, 0, len(prod.BranchPolicies))
	for _, bp := range prod.BranchPolicies {
		names = append(names, bp.Type+":"+bp.Name)
	}
	slices.Sort(names)
	g.Expect(names).To(Equal([]string{"branch:release/*"}))
}

const cleanWorkflow = `name: ci
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab # v4
        with:
          persist-credentials: false
      - run: make test
`
