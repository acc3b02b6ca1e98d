package controller_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// The suite runs one manager with the real reconciler against a real kube-apiserver. Each test starts its
// own GitHub simulator and points its pipelines at it through spec.github.apiURL, so tests do not share
// GitHub state.
var (
	env *testenv.Env
	k8s client.Client
	// logs holds everything the manager logged at debug verbosity, for the leak tests.
	logs = &syncBuffer{}
)

const (
	testToken = "ghp_suiteTokenForTheSimulator000000000001"
	timeout   = 30 * time.Second
	poll      = 100 * time.Millisecond
)

// noControlPlane is set by `go test -short` without KUBEBUILDER_ASSETS: the pure table tests run, the
// tests that need the control plane skip (without -short, a missing control plane fails the suite).
var noControlPlane bool

func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true), zap.Level(zapDebug())))
	flag.Parse()
	if testing.Short() && os.Getenv("KUBEBUILDER_ASSETS") == "" {
		noControlPlane = true
		os.Exit(m.Run())
	}
	var err error
	env, err = testenv.Start(testenv.Options{ExtraCRDDirs: extraCRDDirs()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = env.Client
	ctx, cancel := context.WithCancel(context.Background())
	if err := env.StartOperator(ctx, 4); err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	cancel()
	_ = env.Stop()
	os.Exit(code)
}

// sim is a simulator seeded with the organisation "acme", its repository "web", users alice and bob,
// team release-managers, and a token with access to acme/web.
func newSim(t *testing.T, opts ...githubsim.Option) *githubsim.Server {
	t.Helper()
	if noControlPlane {
		t.Skip("needs the test control plane: run without -short, or set KUBEBUILDER_ASSETS (make control-plane)")
	}
	s := githubsim.New(opts...).Start()
	t.Cleanup(s.Close)
	retireWithSim(t, s)
	s.AddOrg("acme")
	s.AddUser("alice")
	s.AddUser("bob")
	s.AddTeam("acme", "release-managers")
	s.AddRepo("acme", "web")
	s.AddToken(testToken, "acme/web")
	return s
}

// retireWithSim deletes, when the test ends and before its simulator closes, every pipeline that talks
// to that simulator, in any namespace. A later test's simulator may be given the same loopback port, and a
// leftover pipeline (older, with the same token and a recorded repository id) would then be the oldest
// owner of that test's acme/web and turn both of its pipelines into conflicts.
func retireWithSim(t *testing.T, s *githubsim.Server) {
	t.Helper()
	port := urlPort(s.URL())
	t.Cleanup(func() {
		ctx := context.Background()
		// Sets first, so that none recreates a child deleted below (envtest has no garbage collector).
		var sets civ1alpha1.SecurePipelineSetList
		if err := k8s.List(ctx, &sets); err != nil {
			t.Errorf("listing pipeline sets to retire: %v", err)
			return
		}
		for i := range sets.Items {
			if set := &sets.Items[i]; urlPort(set.Spec.GitHub.APIURL) == port {
				if err := k8s.Delete(ctx, set); client.IgnoreNotFound(err) != nil {
					t.Errorf("retiring set %s/%s: %v", set.Namespace, set.Name, err)
				}
				for end := time.Now().Add(20 * time.Second); k8s.Get(ctx, client.ObjectKeyFromObject(set), &civ1alpha1.SecurePipelineSet{}) == nil; {
					if time.Now().After(end) {
						t.Errorf("set %s/%s was not retired", set.Namespace, set.Name)
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
		var list civ1alpha1.SecurePipelineList
		if err := k8s.List(ctx, &list); err != nil {
			t.Errorf("listing pipelines to retire: %v", err)
			return
		}
		var left []client.ObjectKey
		for i := range list.Items {
			p := &list.Items[i]
			if urlPort(p.Spec.GitHub.APIURL) != port {
				continue
			}
			if err := k8s.Delete(ctx, p); client.IgnoreNotFound(err) != nil {
				t.Errorf("retiring %s/%s: %v", p.Namespace, p.Name, err)
			}
			left = append(left, client.ObjectKeyFromObject(p))
		}
		deadline := time.Now().Add(10 * time.Second)
		for _, key := range left {
			for {
				var p civ1alpha1.SecurePipeline
				err := k8s.Get(ctx, key, &p)
				if apierrors.IsNotFound(err) {
					break
				}
				if time.Now().After(deadline.Add(10 * time.Second)) {
					t.Errorf("pipeline %s was not retired: %v", key, err)
					break
				}
				if err == nil && time.Now().After(deadline) {
					// Clean-up on GitHub could not finish (a revoked token, say): this is test hygiene only.
					p.Finalizers = nil
					_ = k8s.Update(ctx, &p)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})
}

func urlPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Port()
}

var nsCounter atomic.Int64

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	if noControlPlane {
		t.Skip("needs the test control plane: run without -short, or set KUBEBUILDER_ASSETS (make control-plane)")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e6, nsCounter.Add(1))}}
	NewWithT(t).Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	return ns.Name
}

// tokenSecret creates the GitHub credentials Secret "github" holding a token.
func tokenSecret(t *testing.T, ns, token string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"}, StringData: map[string]string{"token": token}}
	NewWithT(t).Expect(k8s.Create(context.Background(), s)).To(Succeed())
}

// pipeline is a typical pipeline for acme/web: a ci environment, a production environment with reviewers
// and branch patterns, and DCO enforced.
func pipeline(ns, name string, sim *githubsim.Server) *civ1alpha1.SecurePipeline {
	return &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			GitHub: civ1alpha1.GitHubConnection{
				APIURL:               sim.URL(),
				CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"},
			},
			Environments: []civ1alpha1.Environment{
				{Name: "ci"},
				{
					Name:             "production",
					Reviewers:        []civ1alpha1.Reviewer{{User: "alice"}, {Team: "release-managers"}},
					WaitTimerMinutes: 5,
					DeploymentBranches: &civ1alpha1.DeploymentBranches{Patterns: []civ1alpha1.DeploymentBranchPattern{
						{Name: "main", Type: civ1alpha1.RefTypeBranch}, {Name: "v*", Type: civ1alpha1.RefTypeTag},
					}},
				},
			},
			DCO: civ1alpha1.DCO{Enforce: true},
		},
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	NewWithT(t).Expect(k8s.Create(context.Background(), obj)).To(Succeed())
}

func get(t *testing.T, key client.ObjectKey) *civ1alpha1.SecurePipeline {
	t.Helper()
	p := &civ1alpha1.SecurePipeline{}
	NewWithT(t).Expect(k8s.Get(context.Background(), key, p)).To(Succeed())
	return p
}

// condition returns a condition of the pipeline, or an empty one.
func condition(p *civ1alpha1.SecurePipeline, t string) metav1.Condition {
	if c := apimeta.FindStatusCondition(p.Status.Conditions, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// waitFor waits until the pipeline's condition has the status (and reason, if given) for the current
// generation, and returns the pipeline.
func waitFor(t *testing.T, key client.ObjectKey, condType string, status metav1.ConditionStatus, reason string) *civ1alpha1.SecurePipeline {
	t.Helper()
	var p *civ1alpha1.SecurePipeline
	NewWithT(t).Eventually(func(g Gomega) {
		p = &civ1alpha1.SecurePipeline{}
		g.Expect(k8s.Get(context.Background(), key, p)).To(Succeed())
		c := apimeta.FindStatusCondition(p.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil(), "no %s condition yet", condType)
		g.Expect(c.Status).To(Equal(status), "%s: %s: %s", condType, c.Reason, c.Message)
		if reason != "" {
			g.Expect(c.Reason).To(Equal(reason), "%s: %s", condType, c.Message)
		}
		g.Expect(c.ObservedGeneration).To(Equal(p.Generation))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	return p
}

func waitReady(t *testing.T, key client.ObjectKey) *civ1alpha1.SecurePipeline {
	t.Helper()
	p := waitFor(t, key, civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	NewWithT(t).Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))
	return p
}

var resyncCounter atomic.Int64

// requestResync asks for an immediate resync through the reconcile-requested-at annotation and waits
// until the operator has handled it.
func requestResync(t *testing.T, key client.ObjectKey) *civ1alpha1.SecurePipeline {
	t.Helper()
	g := NewWithT(t)
	token := strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + strconv.FormatInt(resyncCounter.Add(1), 10)
	p := get(t, key)
	patch := client.MergeFrom(p.DeepCopy())
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[civ1alpha1.ReconcileRequestAnnotation] = token
	g.Expect(k8s.Patch(context.Background(), p, patch)).To(Succeed())
	g.Eventually(func() string {
		return get(t, key).Status.LastHandledReconcileAt
	}).WithTimeout(timeout).WithPolling(poll).Should(Equal(token))
	return get(t, key)
}

// eventsFor lists the events recorded for a pipeline, as "Type Reason: note".
func eventsFor(t *testing.T, ns, name string) []string {
	t.Helper()
	var list corev1.EventList
	NewWithT(t).Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e.Type+" "+e.Reason+": "+e.Message)
		}
	}
	return out
}

// writes counts the requests in the simulator's log that change something.
func writes(reqs []githubsim.RequestRecord) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != "GET" && r.Method != "HEAD" {
			out = append(out, r.Route)
		}
	}
	return out
}

// unconditionalReads lists GETs sent without If-None-Match.
func unconditionalReads(reqs []githubsim.RequestRecord) []string {
	var out []string
	for _, r := range reqs {
		if r.Method == "GET" && !r.Conditional {
			out = append(out, r.Route)
		}
	}
	return out
}

func deletePipeline(t *testing.T, key client.ObjectKey) {
	t.Helper()
	g := NewWithT(t)
	p := get(t, key)
	g.Expect(k8s.Delete(context.Background(), p)).To(Succeed())
	g.Eventually(func() bool {
		err := k8s.Get(context.Background(), key, &civ1alpha1.SecurePipeline{})
		return err != nil
	}).WithTimeout(timeout).WithPolling(poll).Should(BeTrue(), "the pipeline was not deleted (finalizer stuck?)")
}

// readyPipeline sets up the usual story's start: a simulator, a namespace with a token Secret, and the
// typical pipeline (changed by mutate, if given) created and Ready.
func readyPipeline(t *testing.T, mutate func(*civ1alpha1.SecurePipeline)) (*githubsim.Server, string, client.ObjectKey) {
	t.Helper()
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	if mutate != nil {
		mutate(p)
	}
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)
	return sim, ns, key
}

// update changes a pipeline's spec or metadata with a merge patch.
func update(t *testing.T, key client.ObjectKey, mutate func(*civ1alpha1.SecurePipeline)) {
	t.Helper()
	cur := get(t, key)
	patch := client.MergeFrom(cur.DeepCopy())
	mutate(cur)
	NewWithT(t).Expect(k8s.Patch(context.Background(), cur, patch)).To(Succeed())
}
