//go:build benchscale

package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// BenchmarkFleetScale is `make bench-scale` (not in CI): one SecurePipelineSet over an organisation of
// SCALE_REPOS repositories (default 1,000), one token, SCALE_LATENCY of injected latency per GitHub
// request (default 50ms). Under GitHub's real limits a cold start of 1,000 takes about an hour, so
// GitHub's clock is scaled by SCALE_FACTOR (default 10): the simulator's primary limit (5,000/h) and
// secondary limit (900 points/min), the operator's request budget and its sync period (10m) are all
// scaled by that one factor, and the report converts back to GitHub's units (per GitHub hour and minute).
//
// It reports: cold start to all Ready, requests and points per pipeline, the peak points in any minute
// (GitHub units, must stay under 900), secondary-limit 403s, steady-state charged (non-304) requests per
// repository per GitHub hour at the default period, the fan-out of one shared credential rotation to all
// repositories, and the test process's heap and RSS (RSS includes the in-process simulator).
func BenchmarkFleetScale(b *testing.B) {
	repos := envInt("SCALE_REPOS", 1000)
	factor := envInt("SCALE_FACTOR", 10)
	latency := envDuration("SCALE_LATENCY", 50*time.Millisecond)
	steady := envDuration("SCALE_STEADY", 3*time.Minute) // real time, = steady×factor of GitHub time
	const perMinute, perHour, syncPeriod = 900, 5000, 10 * time.Minute

	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	must(b, env.StartOperatorWith(ctx, testenv.OperatorOptions{
		MaxConcurrentReconciles: maxConcurrentReconciles,
		SyncPeriod:              syncPeriod / time.Duration(factor),
		PointsPerMinute:         perMinute * factor,
	}))
	k8s := env.Client

	sim := githubsim.New(githubsim.WithPrimaryRateLimit(perHour*factor), githubsim.WithSecondaryPoints(perMinute*factor)).Start()
	defer sim.Close()
	sim.AddOrg("acme")
	sim.AddUser("alice")
	sim.AddToken(benchToken, "*")
	for i := range repos {
		sim.AddRepo("acme", fmt.Sprintf("svc-%04d", i))
	}
	sim.SetFault("*", githubsim.Fault{Latency: latency})

	ns := "scale"
	must(b, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(b, k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"},
		StringData: map[string]string{"token": benchToken}}))
	must(b, k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shared-registry"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig("bot", "initial")},
	}))
	set := &civ1alpha1.SecurePipelineSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: civ1alpha1.SecurePipelineSetSpec{
			Selector: civ1alpha1.RepositorySelector{Owner: "acme"},
			GitHub:   civ1alpha1.GitHubConnection{APIURL: sim.URL(), CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"}},
			Template: civ1alpha1.SecurePipelineTemplate{Spec: civ1alpha1.SecurePipelineTemplateSpec{
				Environments: []civ1alpha1.Environment{
					{Name: "ci"},
					{Name: "production", Reviewers: []civ1alpha1.Reviewer{{User: "alice"}}},
				},
				Registries: []civ1alpha1.Registry{{
					Name: "ghcr", Server: "ghcr.io", Environment: "ci",
					CredentialsSecretRef: civ1alpha1.SecretReference{Name: "shared-registry"},
				}},
				DCO:           civ1alpha1.DCO{Enforce: true},
				WorkflowAudit: civ1alpha1.WorkflowAudit{Enabled: ptr.To(true)},
			}},
		},
	}

	b.ResetTimer()
	start := time.Now()
	must(b, k8s.Create(ctx, set))
	waitSetReady(b, k8s, client.ObjectKeyFromObject(set), repos)
	cold := time.Since(start)
	coldReqs := sim.Requests()
	b.Logf("cold start: %d repositories Ready in %s (%d GitHub requests)", repos, cold.Round(time.Second), len(coldReqs))
	b.Logf("cold-start requests:\n%s", breakdown(coldReqs))

	// Steady state: nothing changes; every resync should be conditional reads answered 304. The first
	// resync after creation reads in full what creation wrote (a write drops the cached reads it changed),
	// so one sync period (plus its jitter) passes before counting.
	time.Sleep(syncPeriod / time.Duration(factor) * 6 / 5)
	sim.ResetRequests()
	time.Sleep(steady)
	steadyReqs := sim.Requests()
	charged := 0
	for _, r := range steadyReqs {
		if r.Status != 304 {
			charged++
		}
	}
	githubHours := steady.Hours() * float64(factor)
	b.Logf("steady state over %s (%.1f GitHub hours):\n%s", steady, githubHours, breakdown(steadyReqs))

	// Fan-out: one rotation of the shared Secret reaches every repository.
	sim.ResetRequests()
	s := &corev1.Secret{}
	must(b, k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shared-registry"}, s))
	s.Data = map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig("bot", "rotated")}
	rotated := time.Now()
	must(b, k8s.Update(ctx, s))
	deadline := rotated.Add(2 * time.Hour)
	for left := repos; left > 0; {
		left = 0
		for i := range repos {
			if v, _, _ := sim.SecretValue("acme", fmt.Sprintf("svc-%04d", i), "ci", "GHCR_PASSWORD"); v != "rotated" {
				left++
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d repositories lack the rotated credential after 2 hours", left)
		}
		time.Sleep(time.Second)
	}
	fanout := time.Since(rotated)
	fanReqs := sim.Requests()
	b.StopTimer()

	all := append(append(append([]githubsim.RequestRecord{}, coldReqs...), steadyReqs...), fanReqs...)
	forbidden := 0
	for _, r := range all {
		if r.Status == 403 {
			forbidden++
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f := float64(factor)
	b.ReportMetric(cold.Seconds()*f/60, "cold-start-github-min")
	b.ReportMetric(float64(len(coldReqs))/float64(repos), "cold-req/pipeline")
	b.ReportMetric(points(coldReqs)/float64(repos), "cold-points/pipeline")
	b.ReportMetric(peakPointsPerMinute(all)/f, "peak-points/github-min")
	b.ReportMetric(float64(forbidden), "403s")
	b.ReportMetric(float64(charged)/float64(repos)/githubHours, "steady-charged-req/repo/github-h")
	b.ReportMetric(float64(len(steadyReqs))/float64(repos)/githubHours, "steady-req/repo/github-h")
	b.ReportMetric(fanout.Seconds()*f/60, "fanout-github-min")
	b.ReportMetric(float64(len(fanReqs))/float64(repos), "fanout-req/repo")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB-with-sim")
	b.ReportMetric(0, "ns/op")
}

// points is what GitHub charges the requests against the secondary limit (GET 1, else 5).
func points(reqs []githubsim.RequestRecord) float64 {
	p := 0.0
	for _, r := range reqs {
		if r.Method == "GET" || r.Method == "HEAD" {
			p++
		} else {
			p += 5
		}
	}
	return p
}

// peakPointsPerMinute is the most points in any rolling (real) minute.
func peakPointsPerMinute(reqs []githubsim.RequestRecord) float64 {
	most, sum, lo := 0.0, 0.0, 0
	cost := func(r githubsim.RequestRecord) float64 { return points([]githubsim.RequestRecord{r}) }
	for hi := range reqs {
		sum += cost(reqs[hi])
		for reqs[hi].Time.Sub(reqs[lo].Time) >= time.Minute {
			sum -= cost(reqs[lo])
			lo++
		}
		most = max(most, sum)
	}
	return most
}

func waitSetReady(b *testing.B, k8s client.Client, key client.ObjectKey, repos int) {
	b.Helper()
	deadline := time.Now().Add(3 * time.Hour)
	for {
		s := &civ1alpha1.SecurePipelineSet{}
		must(b, k8s.Get(context.Background(), key, s))
		if c := apimeta.FindStatusCondition(s.Status.Conditions, civ1alpha1.ReadyCondition); c != nil &&
			c.Status == metav1.ConditionTrue && int(s.Status.Ready) == repos {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d children Ready after 3 hours", s.Status.Ready, repos)
		}
		time.Sleep(time.Second)
	}
}

func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
