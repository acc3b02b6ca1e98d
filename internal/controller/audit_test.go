package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

const unpinnedWorkflow = `name: release
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make build
`

// The simulator serves a workflow with findings: status lists them, WorkflowsCompliant is False, SHA pinning
// (WhenCompliant) waits and says which workflow holds it back. A fixed workflow clears the findings and
// switches SHA pinning on.
func TestWorkflowAuditFindingsAndStagedSHAPinning(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte(unpinnedWorkflow))
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason)
	g.Expect(got.Status.Findings).To(ContainElements(
		SatisfyAll(HaveField("File", ".github/workflows/release.yml"), HaveField("Rule", "SP001"), HaveField("Line", int32(7))),
		SatisfyAll(HaveField("Rule", "SP002"), HaveField("Line", int32(7))),
		HaveField("Rule", "SP003"),
	))
	g.Expect(got.Status.LastAuditTime).NotTo(BeNil())
	// Findings do not make the pipeline not-ready: GitHub matches the spec; the audit reports.
	waitReady(t, key)
	got = get(t, key)
	g.Expect(condition(got, civ1alpha1.RepositorySettingsReadyCondition).Message).To(ContainSubstring(
		"SHA pinning is not required yet: unpinned actions (SP002) in .github/workflows/release.yml"))
	g.Expect(sim.ActionsPermissions("acme", "web").SHAPinningRequired).To(BeFalse())
	g.Eventually(func() []string { return eventsFor(t, ns, "web") }).Should(ContainElement(HavePrefix("Warning WorkflowFindings")))

	// Disabled rules are not reported.
	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.WorkflowAudit.DisabledRules = []string{"SP003"}
	})
	got = waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason)
	g.Expect(got.Status.Findings).NotTo(ContainElement(HaveField("Rule", "SP003")))

	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte(cleanWorkflow))
	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.WorkflowAudit.DisabledRules = nil
	})
	got = waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(got.Status.Findings).To(BeEmpty())
	g.Expect(sim.ActionsPermissions("acme", "web").SHAPinningRequired).To(BeTrue())
}

// shaPinning Unmanaged leaves GitHub's setting alone; Required turns it on whatever the audit says.
func TestSHAPinningPolicies(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte(unpinnedWorkflow))
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	p.Spec.Actions.SHAPinning = civ1alpha1.SHAPinningUnmanaged
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	g.Expect(sim.ActionsPermissions("acme", "web").SHAPinningRequired).To(BeFalse())

	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Actions.SHAPinning = civ1alpha1.SHAPinningRequired
	})
	waitReady(t, key)
	g.Expect(sim.ActionsPermissions("acme", "web").SHAPinningRequired).To(BeTrue())
	g.Expect(sim.ActionsPermissions("acme", "web").AllowedActions).To(Equal("all"), "an unmanaged Actions field was changed")
}
