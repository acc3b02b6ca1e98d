package controller_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// orgToken sees every repository of the organisation, as an org-wide token or App installation would.
const orgToken = "ghp_orgWideTokenForTheSimulator0000000001"

// newOrgSim is newSim plus an organisation's worth of repositories for selectors:
//
//	svc-a     private   topics go, production   team=payments
//	svc-b     public    topics go               team=platform
//	svc-c     private   topics production       archived
//	web       internal                          team=payments, regions=[eu us]
//	Docs.Site private
func newOrgSim(t *testing.T) *githubsim.Server {
	t.Helper()
	sim := newSim(t)
	for _, n := range []string{"svc-a", "svc-b", "svc-c", "Docs.Site"} {
		sim.AddRepo("acme", n)
	}
	sim.SetTopics("acme", "svc-a", "go", "production")
	sim.SetTopics("acme", "svc-b", "go")
	sim.SetTopics("acme", "svc-c", "production")
	sim.UpdateRepo("acme", "svc-b", func(r *githubsim.RepoState) { r.Private = false })
	sim.UpdateRepo("acme", "svc-c", func(r *githubsim.RepoState) { r.Archived = true })
	sim.UpdateRepo("acme", "web", func(r *githubsim.RepoState) { r.Internal = true })
	sim.SetCustomProperty("acme", "svc-a", "team", "payments")
	sim.SetCustomProperty("acme", "svc-b", "team", "platform")
	sim.SetCustomProperty("acme", "web", "team", "payments")
	sim.SetCustomProperty("acme", "web", "regions", "eu", "us")
	sim.AddToken(orgToken, "*")
	return sim
}

// pipelineSet is the set "fleet" over acme with a small template: a ci environment, nothing else that costs
// GitHub requests (no DCO, no audit), so that many children stay quick.
func pipelineSet(ns string, sim *githubsim.Server, sel civ1alpha1.RepositorySelector) *civ1alpha1.SecurePipelineSet {
	sel.Owner = "acme"
	return &civ1alpha1.SecurePipelineSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: civ1alpha1.SecurePipelineSetSpec{
			Selector: sel,
			GitHub:   civ1alpha1.GitHubConnection{APIURL: sim.URL(), CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"}},
			Template: civ1alpha1.SecurePipelineTemplate{
				Metadata: civ1alpha1.TemplateMetadata{Labels: map[string]string{"team": "platform"}},
				Spec: civ1alpha1.SecurePipelineTemplateSpec{
					Environments:  []civ1alpha1.Environment{{Name: "ci"}},
					WorkflowAudit: civ1alpha1.WorkflowAudit{Enabled: new(false)},
				},
			},
		},
	}
}

func getSet(t *testing.T, key client.ObjectKey) *civ1alpha1.SecurePipelineSet {
	t.Helper()
	s := &civ1alpha1.SecurePipelineSet{}
	NewWithT(t).Expect(k8s.Get(context.Background(), key, s)).To(Succeed())
	return s
}

// waitSet waits until the set's Ready condition has the status and reason for its current generation.
func waitSet(t *testing.T, key client.ObjectKey, status metav1.ConditionStatus, reason string) *civ1alpha1.SecurePipelineSet {
	t.Helper()
	var s *civ1alpha1.SecurePipelineSet
	NewWithT(t).Eventually(func(g Gomega) {
		s = &civ1alpha1.SecurePipelineSet{}
		g.Expect(k8s.Get(context.Background(), key, s)).To(Succeed())
		c := apimeta.FindStatusCondition(s.Status.Conditions, civ1alpha1.ReadyCondition)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.ObservedGeneration).To(Equal(s.Generation))
		g.Expect(c.Status).To(Equal(status), "%s: %s; notReady: %+v", c.Reason, c.Message, s.Status.NotReady)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	return s
}

// children lists the children of the set "fleet" by name, with their repositories.
func children(t *testing.T, ns string) map[string]string {
	t.Helper()
	var list civ1alpha1.SecurePipelineList
	NewWithT(t).Expect(k8s.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{civ1alpha1.SetLabel: "fleet"})).To(Succeed())
	out := map[string]string{}
	for _, p := range list.Items {
		if p.DeletionTimestamp.IsZero() {
			out[p.Name] = p.Spec.Repository.Name
		}
	}
	return out
}

// resyncSet asks the set to list its organisation now and waits until it has.
func resyncSet(t *testing.T, key client.ObjectKey) {
	t.Helper()
	token := strconv.FormatInt(time.Now().UnixNano(), 10)
	s := getSet(t, key)
	patch := client.MergeFrom(s.DeepCopy())
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[civ1alpha1.ReconcileRequestAnnotation] = token
	NewWithT(t).Expect(k8s.Patch(context.Background(), s, patch)).To(Succeed())
	NewWithT(t).Eventually(func() string { return getSet(t, key).Status.LastHandledReconcileAt }).
		WithTimeout(timeout).WithPolling(poll).Should(Equal(token))
}

func updateSet(t *testing.T, key client.ObjectKey, mutate func(*civ1alpha1.SecurePipelineSet)) {
	t.Helper()
	s := getSet(t, key)
	patch := client.MergeFrom(s.DeepCopy())
	mutate(s)
	NewWithT(t).Expect(k8s.Patch(context.Background(), s, patch)).To(Succeed())
}

func deleteSet(t *testing.T, key client.ObjectKey) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(k8s.Delete(context.Background(), getSet(t, key))).To(Succeed())
	g.Eventually(func() error {
		return k8s.Get(context.Background(), key, &civ1alpha1.SecurePipelineSet{})
	}).WithTimeout(timeout).WithPolling(poll).Should(HaveOccurred(), "the set was not deleted (finalizer stuck?)")
}

// planned returns a suspended set's plan as "Action repository".
func planned(s *civ1alpha1.SecurePipelineSet) []string {
	out := make([]string, 0, len(s.Status.Plan))
	for _, p := range s.Status.Plan {
		out = append(out, string(p.Action)+" "+p.Repository)
	}
	return out
}

// TestSetSelectsByEachSelectorKind runs one dry-run set per selector kind and checks what each would
// create: the plan names exactly the repositories the selector matches, and nothing is created.
func TestSetSelectsByEachSelectorKind(t *testing.T) {
	sim := newOrgSim(t)
	for _, tc := range []struct {
		name string
		sel  civ1alpha1.RepositorySelector
		want []string
	}{
		{"everything-but-archived", civ1alpha1.RepositorySelector{}, []string{"Docs.Site", "svc-a", "svc-b", "web"}},
		{"name-globs", civ1alpha1.RepositorySelector{Names: []string{"SVC-*", "d*"}}, []string{"Docs.Site", "svc-a", "svc-b"}},
		{"topics", civ1alpha1.RepositorySelector{Topics: []string{"production"}}, []string{"svc-a"}},
		{"archived-included", civ1alpha1.RepositorySelector{Topics: []string{"production"}, IncludeArchived: true}, []string{"svc-a", "svc-c"}},
		{"custom-property", civ1alpha1.RepositorySelector{Properties: []civ1alpha1.PropertySelector{{Name: "team", Values: []string{"payments"}}}}, []string{"svc-a", "web"}},
		{"multi-select-property", civ1alpha1.RepositorySelector{Properties: []civ1alpha1.PropertySelector{{Name: "regions", Values: []string{"us"}}}}, []string{"web"}},
		{"visibility", civ1alpha1.RepositorySelector{Visibility: []civ1alpha1.Visibility{"public", "internal"}}, []string{"svc-b", "web"}},
		{"include-and-exclude", civ1alpha1.RepositorySelector{Topics: []string{"go"}, Include: []string{"WEB", "svc-c"}, Exclude: []string{"svc-b"}}, []string{"svc-a", "web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t)
			tokenSecret(t, ns, orgToken)
			set := pipelineSet(ns, sim, tc.sel)
			set.Spec.Suspend = true
			create(t, set)
			s := waitSet(t, client.ObjectKeyFromObject(set), metav1.ConditionUnknown, civ1alpha1.SuspendedReason)
			want := make([]string, 0, len(tc.want))
			for _, r := range tc.want {
				want = append(want, "Create "+r)
			}
			g.Expect(planned(s)).To(ConsistOf(want))
			g.Expect(s.Status.Matched).To(Equal(int32(len(tc.want))))
			g.Expect(children(t, ns)).To(BeEmpty())
		})
	}
}

// TestSetLifecycle is the story of a set: children for the selected repositories, made from the
// template; a repository added on GitHub gets one, a deleted one loses its; a template change reaches
// every child; a shared registry Secret's rotation reaches every repository; an unchanged resync
// changes nothing.
func TestSetLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)
	basicAuthSecret(t, ns, "dev-registry", "robot", "first-password")
	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-*", "docs.*"}})
	set.Labels = map[string]string{civ1alpha1.ShardLabel: "shard1"}
	set.Spec.Template.Spec.Registries = []civ1alpha1.Registry{{
		Name: "dev-registry", Server: "registry.dev.acme.example", Environment: "ci",
		CredentialsSecretRef: civ1alpha1.SecretReference{Name: "dev-registry"},
	}}
	create(t, set)
	key := client.ObjectKeyFromObject(set)

	s := waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(s.Status.Matched).To(Equal(int32(3)))
	g.Expect(s.Status.Ready).To(Equal(int32(3)))
	g.Expect(s.Status.NotReady).To(BeEmpty())
	docs := "docs-site." // a dot and a hash: "Docs.Site" is not a valid object name as it is
	got := children(t, ns)
	g.Expect(got).To(HaveLen(3))
	g.Expect(got).To(HaveKeyWithValue("svc-a", "svc-a"))
	g.Expect(got).To(HaveKeyWithValue("svc-b", "svc-b"))
	for name, repo := range got {
		if repo == "Docs.Site" {
			g.Expect(name).To(HavePrefix(docs))
		}
	}
	child := get(t, client.ObjectKey{Namespace: ns, Name: "svc-a"})
	g.Expect(metav1.IsControlledBy(child, s)).To(BeTrue())
	g.Expect(child.Labels).To(HaveKeyWithValue("team", "platform"))
	g.Expect(child.Labels).To(HaveKeyWithValue(civ1alpha1.ShardLabel, "shard1"), "children inherit the set's shard")
	g.Expect(child.Spec.GitHub).To(Equal(set.Spec.GitHub))
	for _, repo := range []string{"svc-a", "svc-b", "Docs.Site"} {
		g.Expect(sim.EnvironmentNames("acme", repo)).To(ConsistOf("ci"), repo)
		v, _, ok := sim.SecretValue("acme", repo, "ci", "DEV_REGISTRY_PASSWORD")
		g.Expect(ok).To(BeTrue(), repo)
		g.Expect(v).To(Equal("first-password"))
	}

	// One rotation of the shared Secret reaches every repository.
	basicAuthSecret(t, ns, "dev-registry", "robot", "second-password")
	g.Eventually(func(g Gomega) {
		for _, repo := range []string{"svc-a", "svc-b", "Docs.Site"} {
			v, _, _ := sim.SecretValue("acme", repo, "ci", "DEV_REGISTRY_PASSWORD")
			g.Expect(v).To(Equal("second-password"), repo)
		}
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())

	// A resync of an unchanged organisation changes no child.
	gens := map[string]int64{}
	for name := range got {
		gens[name] = get(t, client.ObjectKey{Namespace: ns, Name: name}).Generation
	}
	resyncSet(t, key)
	for name, gen := range gens {
		g.Expect(get(t, client.ObjectKey{Namespace: ns, Name: name}).Generation).To(Equal(gen), name)
	}

	// A repository created on GitHub gets a child at the next listing; a deleted one loses its child.
	sim.AddRepo("acme", "svc-new")
	sim.DeleteRepo("acme", "svc-b")
	resyncSet(t, key)
	g.Eventually(func() map[string]string { return children(t, ns) }).WithTimeout(timeout).
		Should(And(HaveKey("svc-new"), Not(HaveKey("svc-b"))))
	s = waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(s.Status.Matched).To(Equal(int32(3)))
	g.Expect(sim.EnvironmentNames("acme", "svc-new")).To(ConsistOf("ci"))

	// A template change reaches every child, and GitHub.
	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) {
		s.Spec.Template.Spec.Environments = append(s.Spec.Template.Spec.Environments, civ1alpha1.Environment{Name: "staging"})
	})
	waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Eventually(func(g Gomega) {
		for _, repo := range []string{"svc-a", "svc-new", "Docs.Site"} {
			g.Expect(sim.EnvironmentNames("acme", repo)).To(ConsistOf("ci", "staging"), repo)
		}
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())

	// A child edited by hand is put back to the template.
	update(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}, func(p *civ1alpha1.SecurePipeline) {
		p.Spec.Environments = p.Spec.Environments[:1]
	})
	g.Eventually(func() int {
		return len(get(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}).Spec.Environments)
	}).WithTimeout(timeout).Should(Equal(2))

	deleteSet(t, key)
	g.Expect(children(t, ns)).To(BeEmpty())
	var left civ1alpha1.SecurePipelineList
	g.Expect(k8s.List(ctx, &left, client.InNamespace(ns))).To(Succeed())
	g.Expect(left.Items).To(BeEmpty())
}

// TestSetDryRun: a suspended set plans creations, updates and deletions and makes none of them.
func TestSetDryRun(t *testing.T) {
	g := NewWithT(t)
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)
	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-a", "svc-b"}})
	create(t, set)
	key := client.ObjectKeyFromObject(set)
	waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)

	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) {
		s.Spec.Suspend = true
		s.Spec.Selector.Names = []string{"svc-a", "web"}
		s.Spec.Template.Spec.Actions.CanApprovePullRequestReviews = true
	})
	s := waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SuspendedReason)
	g.Expect(planned(s)).To(Equal([]string{"Create web", "Delete svc-b", "Update svc-a"}))
	g.Expect(children(t, ns)).To(Equal(map[string]string{"svc-a": "svc-a", "svc-b": "svc-b"}))
	g.Expect(get(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}).Spec.Actions.CanApprovePullRequestReviews).To(BeFalse())

	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) { s.Spec.Suspend = false })
	s = waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(s.Status.Plan).To(BeEmpty())
	g.Expect(children(t, ns)).To(Equal(map[string]string{"svc-a": "svc-a", "web": "web"}))
}

// TestSetLeavesHandWrittenPipelinesAlone: a repository a hand-written pipeline manages stays with it,
// wherever that pipeline lives; a pipeline that merely has the child's name or the set's label is never
// taken over; the repository gets a child once the hand-written pipeline is gone.
func TestSetLeavesHandWrittenPipelinesAlone(t *testing.T) {
	g := NewWithT(t)
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)

	// svc-a is managed from another namespace; a pipeline called "svc-b" here manages web, and carries
	// the set's label to try to pass as its child.
	other := newNamespace(t)
	tokenSecret(t, other, orgToken)
	hand := pipeline(other, "payments", sim)
	hand.Spec.Repository.Name = "svc-a"
	hand.Spec.GitHub.CredentialsSecretRef.Name = "github"
	create(t, hand)
	waitReady(t, client.ObjectKeyFromObject(hand))
	squatter := pipeline(ns, "svc-b", sim)
	squatter.Labels = map[string]string{civ1alpha1.SetLabel: "fleet"}
	create(t, squatter)
	waitReady(t, client.ObjectKeyFromObject(squatter))

	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-*"}})
	create(t, set)
	key := client.ObjectKeyFromObject(set)
	s := waitSet(t, key, metav1.ConditionFalse, civ1alpha1.ChildrenNotReadyReason)
	reasons := map[string]string{}
	for _, m := range s.Status.NotReady {
		reasons[m.Repository] = m.Reason + " " + m.Pipeline
	}
	g.Expect(reasons).To(Equal(map[string]string{
		"svc-a": civ1alpha1.ManagedElsewhereReason + " " + other + "/payments",
		"svc-b": civ1alpha1.NameTakenReason + " " + ns + "/svc-b",
	}))
	g.Expect(s.Status.Matched).To(Equal(int32(2)))
	sq := get(t, client.ObjectKeyFromObject(squatter))
	g.Expect(sq.OwnerReferences).To(BeEmpty())
	g.Expect(sq.Spec.Repository.Name).To(Equal("web"))
	g.Expect(get(t, client.ObjectKeyFromObject(hand)).Spec.Environments).To(HaveLen(2), "the hand-written pipeline is not changed")

	// The squatter goes; the next listing creates svc-b's child. svc-a's pipeline stays and the set is
	// Ready: a repository managed elsewhere on purpose is not a failure.
	// (Its name comes back at once as the set's child, so wait for the UID to change.)
	sqKey := client.ObjectKeyFromObject(squatter)
	g.Expect(k8s.Delete(context.Background(), sq)).To(Succeed())
	g.Eventually(func() bool {
		p := &civ1alpha1.SecurePipeline{}
		return k8s.Get(context.Background(), sqKey, p) != nil || p.UID != sq.UID
	}).WithTimeout(timeout).WithPolling(poll).Should(BeTrue())
	resyncSet(t, key)
	s = waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(s.Status.Ready).To(Equal(int32(1)))
	g.Expect(s.Status.NotReady).To(HaveLen(1))
	g.Expect(s.Status.NotReady[0].Reason).To(Equal(civ1alpha1.ManagedElsewhereReason))

	// When the hand-written pipeline is deleted, its repository gets a child at once.
	deletePipeline(t, client.ObjectKeyFromObject(hand))
	g.Eventually(func() map[string]string { return children(t, ns) }).WithTimeout(timeout).
		Should(HaveKeyWithValue("svc-a", "svc-a"))
	// (The set's status is written just after the child is created: wait for it to count the child.)
	g.Eventually(func() int32 { return waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason).Status.Ready }).
		WithTimeout(timeout).WithPolling(poll).Should(Equal(int32(2)))
	g.Expect(getSet(t, key).Status.NotReady).To(BeEmpty())
	deleteSet(t, key)
}

// TestSetDetach: an annotated child leaves the template: it keeps its repository and spec, the set
// no longer changes or deletes it, and the set reports the repository as managed elsewhere.
func TestSetDetach(t *testing.T) {
	g := NewWithT(t)
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)
	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-a", "svc-b"}})
	create(t, set)
	key := client.ObjectKeyFromObject(set)
	waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)

	childKey := client.ObjectKey{Namespace: ns, Name: "svc-b"}
	update(t, childKey, func(p *civ1alpha1.SecurePipeline) {
		p.Annotations = map[string]string{civ1alpha1.DetachAnnotation: "true"}
	})
	g.Eventually(func() []metav1.OwnerReference { return get(t, childKey).OwnerReferences }).WithTimeout(timeout).Should(BeEmpty())
	detached := get(t, childKey)
	g.Expect(detached.Labels).NotTo(HaveKey(civ1alpha1.SetLabel))
	g.Expect(detached.Annotations).To(HaveKeyWithValue(civ1alpha1.DetachedFromAnnotation, "fleet"))

	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) {
		s.Spec.Template.Spec.Environments = append(s.Spec.Template.Spec.Environments, civ1alpha1.Environment{Name: "staging"})
	})
	s := waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(s.Status.NotReady).To(ConsistOf(HaveField("Reason", civ1alpha1.ManagedElsewhereReason)))
	g.Expect(get(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}).Spec.Environments).To(HaveLen(2))
	g.Expect(get(t, childKey).Spec.Environments).To(HaveLen(1), "a detached child keeps its spec")

	deleteSet(t, key)
	g.Expect(get(t, childKey).DeletionTimestamp.IsZero()).To(BeTrue(), "a detached child outlives its set")
	deletePipeline(t, childKey)
}

// TestSetDeletionPolicy: children carry the template's deletionPolicy. With Delete, a repository that
// leaves the selection loses what its child created on GitHub, and so do all when the set goes; with
// Orphan, GitHub keeps it.
func TestSetDeletionPolicy(t *testing.T) {
	g := NewWithT(t)
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)
	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-a", "svc-b", "web"}})
	set.Spec.Template.Spec.DeletionPolicy = civ1alpha1.DeletionPolicyDelete
	create(t, set)
	key := client.ObjectKeyFromObject(set)
	waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	g.Expect(get(t, client.ObjectKey{Namespace: ns, Name: "web"}).Spec.DeletionPolicy).To(Equal(civ1alpha1.DeletionPolicyDelete))
	for _, repo := range []string{"svc-a", "svc-b", "web"} {
		g.Expect(sim.EnvironmentNames("acme", repo)).To(ConsistOf("ci"), repo)
	}

	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) { s.Spec.Selector.Exclude = []string{"svc-b"} })
	g.Eventually(func() []string { return sim.EnvironmentNames("acme", "svc-b") }).WithTimeout(timeout).Should(BeEmpty())
	g.Eventually(func() map[string]string { return children(t, ns) }).WithTimeout(timeout).Should(Not(HaveKey("svc-b")))

	// svc-a's child switches to Orphan before the set goes: GitHub keeps its environment.
	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) {
		s.Spec.Selector.Names = []string{"web", "svc-a"}
	})
	waitSet(t, key, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	update(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}, func(p *civ1alpha1.SecurePipeline) {
		p.Annotations = map[string]string{civ1alpha1.DetachAnnotation: "true"}
		p.Spec.DeletionPolicy = civ1alpha1.DeletionPolicyOrphan
	})
	g.Eventually(func() []metav1.OwnerReference {
		return get(t, client.ObjectKey{Namespace: ns, Name: "svc-a"}).OwnerReferences
	}).WithTimeout(timeout).Should(BeEmpty())

	deleteSet(t, key)
	g.Expect(sim.EnvironmentNames("acme", "web")).To(BeEmpty(), "deleting the set deleted web's child with deletionPolicy Delete")
	deletePipeline(t, client.ObjectKey{Namespace: ns, Name: "svc-a"})
	g.Expect(sim.EnvironmentNames("acme", "svc-a")).To(ConsistOf("ci"), "an orphaning pipeline leaves GitHub as it is")
}

// TestSetStalls: a set that cannot list its organisation says why, and creates and deletes nothing.
func TestSetStalls(t *testing.T) {
	g := NewWithT(t)
	sim := newOrgSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, orgToken)
	set := pipelineSet(ns, sim, civ1alpha1.RepositorySelector{Names: []string{"svc-["}})
	create(t, set)
	key := client.ObjectKeyFromObject(set)
	s := waitSet(t, key, metav1.ConditionFalse, civ1alpha1.InvalidSelectorReason)
	g.Expect(apimeta.IsStatusConditionTrue(s.Status.Conditions, civ1alpha1.StalledCondition)).To(BeTrue())
	g.Expect(apimeta.FindStatusCondition(s.Status.Conditions, civ1alpha1.ReadyCondition).Message).To(ContainSubstring("spec.selector.names[0]"))

	updateSet(t, key, func(s *civ1alpha1.SecurePipelineSet) {
		s.Spec.Selector.Names = nil
		s.Spec.Selector.Owner = "nobody-here"
	})
	waitSet(t, key, metav1.ConditionFalse, civ1alpha1.OrganizationNotFoundReason)
	g.Expect(children(t, ns)).To(BeEmpty())
	deleteSet(t, key)
}
