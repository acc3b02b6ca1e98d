package sharding

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
	"go.uber.org/zap/zapcore"
)

var (
	env *testenv.Env
	k8s client.Client
)

const (
	claims  = "operator-system"
	timeout = 30 * time.Second
	poll    = 100 * time.Millisecond
)

// TestMain starts one control plane and two shards: shard1 (label sharding.securepipeline.dev/key:
// shard1) and the default shard (objects without the label), both with repository claims.
func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(zapLevel()))))
	var err error
	env, err = testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = env.Client
	ctx, cancel := context.WithCancel(context.Background())
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: claims}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, sel := range []string{civ1alpha1.ShardLabel + " in (shard1)", "!" + civ1alpha1.ShardLabel} {
		opts := testenv.OperatorOptions{MaxConcurrentReconciles: 2, WatchLabelSelector: sel, ClaimsNamespace: claims}
		if err := env.StartOperatorWith(ctx, opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	cancel()
	_ = env.Stop()
	os.Exit(code)
}

func zapLevel() int8 {
	if os.Getenv("TEST_LOGS") != "" {
		return -1
	}
	return 10 // quiet
}

// pipeline is a small pipeline on acme/web with its own namespace's token, so the simulator's log tells
// which pipeline wrote.
func pipeline(ns, name, shard string, sim *githubsim.Server) *civ1alpha1.SecurePipeline {
	p := &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			GitHub: civ1alpha1.GitHubConnection{
				APIURL: sim.URL(), CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"},
			},
			Environments:  []civ1alpha1.Environment{{Name: "ci"}},
			WorkflowAudit: civ1alpha1.WorkflowAudit{Enabled: new(false)},
		},
	}
	if shard != "" {
		p.Labels = map[string]string{civ1alpha1.ShardLabel: shard}
	}
	return p
}

func namespaceWithToken(t *testing.T, name, token string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	g.Expect(k8s.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: name, Name: "github"}, StringData: map[string]string{"token": token},
	})).To(Succeed())
}

func ready(t *testing.T, key client.ObjectKey) metav1.Condition {
	t.Helper()
	p := &civ1alpha1.SecurePipeline{}
	NewWithT(t).Expect(k8s.Get(context.Background(), key, p)).To(Succeed())
	c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition)
	if c != nil && c.ObservedGeneration == p.Generation {
		return *c
	}
	return metav1.Condition{}
}

func relabel(t *testing.T, key client.ObjectKey, shard string) {
	t.Helper()
	p := &civ1alpha1.SecurePipeline{}
	NewWithT(t).Expect(k8s.Get(context.Background(), key, p)).To(Succeed())
	patch := client.MergeFrom(p.DeepCopy())
	if shard == "" {
		delete(p.Labels, civ1alpha1.ShardLabel)
	} else {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels[civ1alpha1.ShardLabel] = shard
	}
	NewWithT(t).Expect(k8s.Patch(context.Background(), p, patch)).To(Succeed())
}

// TestOneOwnerAcrossShards: two pipelines on one repository, in two shards whose caches cannot see
// each other. The older one owns the repository and the younger one is RepositoryConflict and writes
// nothing, through every relabelling of either into the other's shard; when the owner goes, the other
// takes over.
func TestOneOwnerAcrossShards(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	sim := githubsim.New().Start()
	defer sim.Close()
	sim.AddOrg("acme")
	sim.AddRepo("acme", "web")
	const older, younger = "ghp_shardOlder000000000000000000000000001", "ghp_shardYounger00000000000000000000000001"
	sim.AddToken(older, "acme/web")
	sim.AddToken(younger, "acme/web")
	namespaceWithToken(t, "team-a", older)
	namespaceWithToken(t, "team-b", younger)

	// Every write the younger pipeline's token makes is a second owner.
	youngerWrites := func() []string {
		var out []string
		for _, r := range sim.Requests() {
			if r.Token == younger && r.Method != "GET" {
				out = append(out, r.Route)
			}
		}
		return out
	}

	a := pipeline("team-a", "web", "shard1", sim)
	g.Expect(k8s.Create(ctx, a)).To(Succeed())
	aKey := client.ObjectKeyFromObject(a)
	g.Eventually(func() metav1.ConditionStatus { return ready(t, aKey).Status }).
		WithTimeout(timeout).WithPolling(poll).Should(Equal(metav1.ConditionTrue))
	time.Sleep(1100 * time.Millisecond) // creation times have one-second resolution

	b := pipeline("team-b", "web", "", sim) // the default shard
	g.Expect(k8s.Create(ctx, b)).To(Succeed())
	bKey := client.ObjectKeyFromObject(b)
	conflict := func(g Gomega) {
		c := ready(t, bKey)
		g.Expect(c.Reason).To(Equal(civ1alpha1.RepositoryConflictReason), c.Message)
		g.Expect(c.Message).To(ContainSubstring("team-a/web"))
	}
	g.Eventually(conflict).WithTimeout(timeout).WithPolling(poll).Should(Succeed())

	// Relabel each into the other's shard, and both into one, and back: one owner throughout.
	for _, step := range []struct {
		what  string
		key   client.ObjectKey
		shard string
	}{
		{"the owner moves to the default shard", aKey, ""},
		{"the other moves to shard1", bKey, "shard1"},
		{"the owner moves back to shard1", aKey, "shard1"},
		{"the other moves to shard2, which no manager serves", bKey, "shard2"},
		{"the other comes back to the default shard", bKey, ""},
	} {
		relabel(t, step.key, step.shard)
		// Ask both for a resync wherever they now are.
		for _, k := range []client.ObjectKey{aKey, bKey} {
			p := &civ1alpha1.SecurePipeline{}
			g.Expect(k8s.Get(ctx, k, p)).To(Succeed())
			patch := client.MergeFrom(p.DeepCopy())
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[civ1alpha1.ReconcileRequestAnnotation] = step.what
			g.Expect(k8s.Patch(ctx, p, patch)).To(Succeed())
		}
		g.Consistently(func(g Gomega) {
			g.Expect(youngerWrites()).To(BeEmpty(), step.what)
			g.Expect(ready(t, aKey).Reason).NotTo(Equal(civ1alpha1.RepositoryConflictReason), step.what)
		}).WithTimeout(2 * time.Second).WithPolling(poll).Should(Succeed())
		if step.shard != "shard2" {
			g.Eventually(conflict).WithTimeout(timeout).WithPolling(poll).Should(Succeed(), step.what)
		}
	}

	// The owner goes: the other takes the claim and writes, at its next resync (a shard does not see
	// another shard's pipelines go; a resync is asked for here rather than waited for).
	g.Expect(k8s.Delete(ctx, a)).To(Succeed())
	g.Eventually(func() error { return k8s.Get(ctx, aKey, &civ1alpha1.SecurePipeline{}) }).
		WithTimeout(timeout).Should(HaveOccurred())
	p := &civ1alpha1.SecurePipeline{}
	g.Expect(k8s.Get(ctx, bKey, p)).To(Succeed())
	patch := client.MergeFrom(p.DeepCopy())
	p.Annotations[civ1alpha1.ReconcileRequestAnnotation] = "owner gone"
	g.Expect(k8s.Patch(ctx, p, patch)).To(Succeed())
	g.Eventually(func() metav1.ConditionStatus { return ready(t, bKey).Status }).WithTimeout(timeout).WithPolling(poll).
		Should(Equal(metav1.ConditionTrue))
	// The claim now names the younger pipeline: one Lease, in the operator's namespace.
	var leases coordinationv1.LeaseList
	g.Expect(k8s.List(ctx, &leases, client.InNamespace(claims),
		client.MatchingLabels{"ci.securepipeline.dev/repository-claim": "true"})).To(Succeed())
	var mine []coordinationv1.Lease
	for _, l := range leases.Items {
		if strings.HasSuffix(l.Annotations["ci.securepipeline.dev/repository"], " acme/web") {
			mine = append(mine, l)
		}
	}
	g.Expect(mine).To(HaveLen(1), "one claim per repository")
	g.Expect(*mine[0].Spec.HolderIdentity).To(HavePrefix("team-b/web/"))
}
