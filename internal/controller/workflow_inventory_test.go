package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// releaseViaMake publishes through make: only the Makefile shows the push and the keyless signature.
const releaseViaMake = `name: release
on: push
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
      packages: write
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4
        with:
          persist-credentials: false
      - run: make release
`

const releaseMakefile = "IMG ?= ghcr.io/acme/web:latest\n\nrelease:\n\tdocker buildx build --push --sbom=true -t $(IMG) .\n\tcosign sign --yes $(IMG)\n"

const (
	treeRoute = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"
	blobRoute = "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"
)

// The audit reads the default branch's tree and the blobs it needs, follows make into the Makefile and
// lists the publishing job in status.publishing. Auditing the unchanged repository again costs one
// conditional request answered 304 and no blob. An acknowledgement in spec.workflowAudit.ignore moves a
// finding out of status.findings (counted in suppressedFindings) and WorkflowsCompliant turns True.
func TestWorkflowAuditReadsTheRepositoryTree(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte(releaseViaMake))
	sim.SetFile("acme", "web", "Makefile", []byte(releaseMakefile))
	sim.SetFile("acme", "web", "README.md", []byte("# web\n"))
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	g.Eventually(func() []civ1alpha1.PublishingJob { return get(t, key).Status.Publishing }, timeout, poll).Should(HaveLen(1))
	got := get(t, key)
	g.Expect(got.Status.Publishing[0]).To(Equal(civ1alpha1.PublishingJob{
		Workflow: ".github/workflows/release.yml", Job: "image", Kind: "image", Mechanism: "make",
		Images: []string{"ghcr.io/acme/web:latest"}, Signing: "keyless", SBOM: "true", SBOMKind: "buildkit",
		Evidence: []string{"Makefile:4", "Makefile:5"},
	}))
	g.Expect(got.Status.PublishingCount).To(Equal(int32(1)))
	g.Expect(got.Status.Findings).To(BeEmpty(), "signed with an SBOM, keyless with id-token: nothing to report")
	waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	counts := sim.RequestCounts()
	g.Expect(counts[treeRoute]).To(BeNumerically(">=", 1))
	g.Expect(counts[blobRoute]).To(Equal(2), "the workflow and the Makefile; not README.md")
	g.Expect(counts).NotTo(HaveKey("GET /repos/{owner}/{repo}/contents/{path}"))

	// A spec change runs the audit again on the unchanged repository: one 304 for the tree, no blob.
	// (The first reconcile's writes to the repository, such as web_commit_signoff_required, drop the
	// cached tree along with everything else under the repository; the second audit re-reads it.)
	waitReady(t, key)
	reaudit := func(rules ...string) {
		update(t, key, func(p *civ1alpha1.SecurePipeline) { p.Spec.WorkflowAudit.DisabledRules = rules })
		g.Eventually(func() bool {
			p := get(t, key)
			return p.Status.ObservedGeneration == p.Generation
		}, timeout, poll).Should(BeTrue())
	}
	reaudit("SP010")
	sim.ResetRequests()
	reaudit("SP010", "SP011")
	var trees []int
	for _, rec := range sim.Requests() {
		g.Expect(rec.Route).NotTo(Equal(blobRoute))
		if rec.Route == treeRoute {
			g.Expect(rec.Conditional).To(BeTrue())
			trees = append(trees, rec.Status)
		}
	}
	g.Expect(trees).To(Equal([]int{304}))

	// A change on GitHub: a workflow that publishes unsigned, and a deliberate persist-credentials.
	sim.SetFile("acme", "web", ".github/workflows/bump.yml", []byte(`on: push
permissions:
  contents: read
jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4
        with:
          persist-credentials: true
      - run: git push
`))
	update(t, key, func(p *civ1alpha1.SecurePipeline) { p.Spec.WorkflowAudit.DisabledRules = nil })
	got = waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason)
	g.Expect(got.Status.Findings).To(ConsistOf(SatisfyAll(
		HaveField("File", ".github/workflows/bump.yml"), HaveField("Rule", "SP001"), HaveField("Line", int32(10)))))

	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.WorkflowAudit.Ignore = []civ1alpha1.AuditIgnore{{
			Rule: "SP001", Path: ".github/workflows/bump.yml", Job: "bump", Reason: "the next step pushes the version bump",
		}}
	})
	got = waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(got.Status.Findings).To(BeEmpty())
	g.Expect(got.Status.SuppressedFindings).To(Equal(int32(1)))
	g.Expect(condition(got, civ1alpha1.WorkflowsCompliantCondition).Message).To(ContainSubstring("(1 acknowledged)"))
}

// An acknowledged SP002 still holds back shaPinning: WhenCompliant, since GitHub's setting would refuse
// that workflow all the same.
func TestAcknowledgedUnpinnedActionStillHoldsBackSHAPinning(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.SetFile("acme", "web", ".github/workflows/release.yml", []byte(`on: push
permissions: {}
jobs:
  provenance:
    permissions: {actions: read, id-token: write, contents: write}
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
    with:
      base64-subjects: abc
`))
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)

	got := waitFor(t, key, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(got.Status.SuppressedFindings).To(Equal(int32(1)), "the tag-pinned SLSA generator is exempt")
	waitReady(t, key)
	got = get(t, key)
	g.Expect(condition(got, civ1alpha1.RepositorySettingsReadyCondition).Message).To(ContainSubstring(
		"SHA pinning is not required yet: unpinned actions (SP002) in .github/workflows/release.yml"))
	g.Expect(sim.ActionsPermissions("acme", "web").SHAPinningRequired).To(BeFalse())
}
