package sharding

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// TestLeaderFailoverDuringRotationBurst: two replicas of one shard ("ha") elect a leader. A set's 20
// children share one registry Secret; the Secret is rotated and the leader is killed at once (its
// context cancelled without releasing its Lease, as a crash would). The follower takes over and every
// repository gets the rotated credential: no rotation is lost.
func TestLeaderFailoverDuringRotationBurst(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const repos = 20
	sim := githubsim.New().Start()
	defer sim.Close()
	sim.AddOrg("acme")
	for i := range repos {
		sim.AddRepo("acme", fmt.Sprintf("ha-%02d", i))
	}
	const token = "ghp_shardFailover00000000000000000000000001"
	sim.AddToken(token, "*")
	namespaceWithToken(t, "team-ha", token)
	g.Expect(k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-ha", Name: "registry"}, Type: corev1.SecretTypeBasicAuth,
		StringData: map[string]string{"username": "bot", "password": "before"},
	})).To(Succeed())

	opts := testenv.OperatorOptions{MaxConcurrentReconciles: 2, WatchLabelSelector: civ1alpha1.ShardLabel + " in (ha)",
		ClaimsNamespace: claims, LeaderElectionID: "ha.shard.securepipeline.dev"}
	first, killFirst := context.WithCancel(ctx)
	defer killFirst()
	g.Expect(env.StartOperatorWith(first, opts)).To(Succeed())
	// The second replica starts once the first leads, so the first is the leader.
	g.Eventually(func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: claims, Name: opts.LeaderElectionID}, &coordinationv1.Lease{})
	}).WithTimeout(timeout).Should(Succeed())
	second, stopSecond := context.WithCancel(ctx)
	defer stopSecond()
	g.Expect(env.StartOperatorWith(second, opts)).To(Succeed())

	set := &civ1alpha1.SecurePipelineSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-ha", Name: "fleet",
			Labels: map[string]string{civ1alpha1.ShardLabel: "ha"}},
		Spec: civ1alpha1.SecurePipelineSetSpec{
			Selector: civ1alpha1.RepositorySelector{Owner: "acme"},
			GitHub: civ1alpha1.GitHubConnection{
				APIURL: sim.URL(), CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"},
			},
			Template: civ1alpha1.SecurePipelineTemplate{Spec: civ1alpha1.SecurePipelineTemplateSpec{
				Environments: []civ1alpha1.Environment{{Name: "ci"}},
				Registries: []civ1alpha1.Registry{{Name: "registry", Server: "registry.example", Environment: "ci",
					CredentialsSecretRef: civ1alpha1.SecretReference{Name: "registry"}}},
				WorkflowAudit: civ1alpha1.WorkflowAudit{Enabled: new(false)},
			}},
		},
	}
	g.Expect(k8s.Create(ctx, set)).To(Succeed())
	values := func() map[string]int {
		out := map[string]int{}
		for i := range repos {
			v, _, _ := sim.SecretValue("acme", fmt.Sprintf("ha-%02d", i), "ci", "REGISTRY_PASSWORD")
			out[v]++
		}
		return out
	}
	g.Eventually(values).WithTimeout(timeout).WithPolling(poll).Should(Equal(map[string]int{"before": repos}))

	// Rotate and kill the leader in the same breath.
	sec := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "team-ha", Name: "registry"}, sec)).To(Succeed())
	sec.Data = map[string][]byte{"username": []byte("bot"), "password": []byte("after")}
	g.Expect(k8s.Update(ctx, sec)).To(Succeed())
	time.Sleep(50 * time.Millisecond) // let the burst start on the leader
	killFirst()

	killed := time.Now()
	defer func() {
		if t.Failed() {
			for _, r := range sim.Requests() {
				if r.Time.After(killed) {
					t.Logf("%s %s %s %d %s", r.Time.Format("05.000"), r.Method, r.Path, r.Status, r.Duration)
				}
			}
		}
	}()
	g.Eventually(values).WithTimeout(timeout).WithPolling(poll).Should(Equal(map[string]int{"after": repos}),
		"the follower takes over and finishes the burst")
	lease := &coordinationv1.Lease{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: claims, Name: opts.LeaderElectionID}, lease)).To(Succeed())
	g.Expect(lease.Spec.LeaseTransitions).To(HaveValue(BeNumerically(">=", 1)), "the leader changed")
}
