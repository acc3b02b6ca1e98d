// Package bench measures how fast a change of a registry credential Secret reaches GitHub, end to end:
// a real kube-apiserver (envtest), the manager with the real reconciler, and the GitHub simulator.
//
//	make bench    # go test -run '^$' -bench . -benchtime 1x -timeout 30m ./test/bench/
package bench

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
)

const (
	// pipelines is how many SecurePipelines (one repository each, all with one token) the benchmark runs.
	pipelines = 100
	// maxConcurrentReconciles is the manager's default (--max-concurrent-reconciles).
	maxConcurrentReconciles = 4
	benchToken              = "ghp_benchTokenForTheSimulator00000000001"
	// singles is how many rotations of one Secret at a time are measured after the burst.
	singles = 10
)

// BenchmarkSecretRotationPropagation creates 100 pipelines, each with its own registry Secret, waits until
// they are Ready and rotates every Secret once to warm up. Then per iteration it rotates all 100 Secrets
// at once and measures, for each, the time from its update to the simulator holding the new decrypted
// value; then it rotates a few Secrets one at a time. It reports p50/p99/max latency of the burst (ms),
// p50 of single rotations, and the GitHub requests one rotation costs (all, charged to the rate limit
// i.e. not 304, and writes), counted in the simulator's request log until the operator is quiet again.
func BenchmarkSecretRotationPropagation(b *testing.B) {
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := env.StartOperator(ctx, maxConcurrentReconciles); err != nil {
		b.Fatal(err)
	}
	k8s := env.Client

	// A primary budget the setup cannot exhaust; the report says what the rotations are charged.
	sim := githubsim.New(githubsim.WithPrimaryRateLimit(1_000_000)).Start()
	defer sim.Close()
	sim.AddOrg("acme")
	sim.AddUser("alice")
	sim.AddToken(benchToken, "*")

	ns := "bench"
	must(b, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(b, k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"},
		StringData: map[string]string{"token": benchToken}}))
	setup := time.Now()
	repos := make([]string, pipelines)
	for i := range repos {
		repos[i] = fmt.Sprintf("repo-%03d", i)
		sim.AddRepo("acme", repos[i])
		must(b, k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds-" + repos[i]},
			Type:       corev1.SecretTypeDockerConfigJson,
			Data:       map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig("bot", "initial-"+repos[i])},
		}))
		must(b, k8s.Create(ctx, pipeline(ns, repos[i], sim.URL())))
	}
	waitAllReady(b, k8s, ns)
	b.Logf("%d pipelines created and Ready in %s; %d GitHub requests so far",
		pipelines, time.Since(setup).Round(time.Millisecond), len(sim.Requests()))
	waitQuiet(sim)
	// Warm-up: the first reconcile after a pipeline's creation reads in full what its creation wrote (a
	// write drops the ETag cache's entries for what it changed); from then on unchanged reads are 304s.
	sim.ResetRequests()
	warm := rotate(b, k8s, sim, ns, repos, "warmup", 10)
	waitQuiet(sim)
	b.Logf("warm-up burst (first rotation after creation): p50 %.0f ms, p99 %.0f ms, %.1f requests per rotation",
		percentile(warm, 50), percentile(warm, 99), float64(len(sim.Requests()))/pipelines)

	var burst []time.Duration
	var requests, charged, writes int
	b.ResetTimer()
	for n := range b.N {
		sim.ResetRequests()
		burst = append(burst, rotate(b, k8s, sim, ns, repos, fmt.Sprintf("burst%d", n), 10)...)
		b.StopTimer()
		waitQuiet(sim)
		reqs := sim.Requests()
		if n == 0 {
			b.Logf("GitHub requests of one burst of %d rotations:\n%s", len(repos), breakdown(reqs))
		}
		requests += len(reqs)
		for _, r := range reqs {
			if r.Status != 304 {
				charged++
			}
			if r.Method != "GET" {
				writes++
			}
		}
		b.StartTimer()
	}
	b.StopTimer()

	single := rotateOneByOne(b, k8s, sim, ns, repos[:singles])

	rotations := float64(b.N * pipelines)
	b.ReportMetric(percentile(burst, 50), "p50-ms")
	b.ReportMetric(percentile(burst, 99), "p99-ms")
	b.ReportMetric(percentile(burst, 100), "max-ms")
	b.ReportMetric(percentile(single, 50), "single-p50-ms")
	b.ReportMetric(float64(requests)/rotations, "req/rotation")
	b.ReportMetric(float64(charged)/rotations, "charged-req/rotation")
	b.ReportMetric(float64(writes)/rotations, "writes/rotation")
	b.ReportMetric(0, "ns/op") // wall time per iteration says nothing here
}

// rotate writes a new password into every repository's Secret (workers at a time) and returns, per Secret,
// the time from just before its update to the simulator holding the new value.
func rotate(b *testing.B, k8s client.Client, sim *githubsim.Server, ns string, repos []string,
	round string, workers int) []time.Duration {
	b.Helper()
	ctx := context.Background()
	want := make([]string, len(repos))
	started := make([]time.Time, len(repos))
	var mu sync.Mutex
	for i, repo := range repos {
		want[i] = round + "-" + repo
	}

	// Watch the simulator from before the first update.
	done := make(chan []time.Duration)
	go func() {
		lat := make([]time.Duration, len(repos))
		left := len(repos)
		deadline := time.Now().Add(5 * time.Minute)
		for left > 0 && time.Now().Before(deadline) {
			for i, repo := range repos {
				if lat[i] != 0 {
					continue
				}
				mu.Lock()
				s := started[i]
				mu.Unlock()
				if s.IsZero() {
					continue
				}
				if v, _, _ := sim.SecretValue("acme", repo, "ci", "GHCR_PASSWORD"); v == want[i] {
					lat[i] = time.Since(s)
					left--
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		done <- lat
	}()

	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				s := &corev1.Secret{}
				if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "creds-" + repos[i]}, s); err != nil {
					b.Error(err)
					continue
				}
				s.Data = map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig("bot", want[i])}
				mu.Lock()
				started[i] = time.Now()
				mu.Unlock()
				if err := k8s.Update(ctx, s); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range repos {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	lat := <-done
	for i, l := range lat {
		if l == 0 {
			b.Fatalf("the new value of Secret creds-%s did not reach GitHub within 5 minutes", repos[i])
		}
	}
	return lat
}

func rotateOneByOne(b *testing.B, k8s client.Client, sim *githubsim.Server, ns string, repos []string) []time.Duration {
	var out []time.Duration
	for i, repo := range repos {
		out = append(out, rotate(b, k8s, sim, ns, []string{repo}, fmt.Sprintf("single%d", i), 1)...)
		waitQuiet(sim)
	}
	return out
}

// pipeline is a typical pipeline: a ci environment holding a development registry's credential, a
// production environment with a reviewer, DCO enforced, the workflow audit on.
func pipeline(ns, repo, apiURL string) *civ1alpha1.SecurePipeline {
	return &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: repo},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: repo},
			GitHub: civ1alpha1.GitHubConnection{
				APIURL: apiURL, CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"},
			},
			Environments: []civ1alpha1.Environment{
				{Name: "ci"},
				{Name: "production", Reviewers: []civ1alpha1.Reviewer{{User: "alice"}}},
			},
			Registries: []civ1alpha1.Registry{{
				Name: "ghcr", Server: "ghcr.io", Environment: "ci",
				CredentialsSecretRef: civ1alpha1.SecretReference{Name: "creds-" + repo},
			}},
			DCO: civ1alpha1.DCO{Enforce: true},
		},
	}
}

func dockerConfig(user, pass string) []byte {
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{
		"ghcr.io": map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))},
	}})
	return b
}

func waitAllReady(b *testing.B, k8s client.Client, ns string) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var list civ1alpha1.SecurePipelineList
		must(b, k8s.List(context.Background(), &list, client.InNamespace(ns)))
		ready := 0
		var notReady string
		for i := range list.Items {
			p := &list.Items[i]
			c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition)
			if c != nil && c.Status == metav1.ConditionTrue {
				ready++
			} else if c != nil {
				notReady = p.Name + ": " + c.Reason + ": " + c.Message
			}
		}
		if ready == pipelines {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d pipelines Ready after 10 minutes (e.g. %s)", ready, pipelines, notReady)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitQuiet waits until the simulator has received no request for a second, so that a round's count
// includes the requests of every reconcile it caused.
func waitQuiet(sim *githubsim.Server) {
	last, since := -1, time.Now()
	for time.Since(since) < time.Second {
		if n := len(sim.Requests()); n != last {
			last, since = n, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// percentile returns the p-th percentile (nearest rank) in milliseconds.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	rank = max(0, min(rank, len(s)-1))
	return float64(s[rank].Microseconds()) / 1000
}

// breakdown counts requests by method, route and status, most frequent first.
func breakdown(reqs []githubsim.RequestRecord) string {
	counts := map[string]int{}
	for _, r := range reqs {
		counts[fmt.Sprintf("%s %d", r.Route, r.Status)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	var out string
	for _, k := range keys {
		out += fmt.Sprintf("  %5d  %s\n", counts[k], k)
	}
	return out
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
