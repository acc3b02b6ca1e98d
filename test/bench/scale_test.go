//go:build benchscale

package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/e2e/harness"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// BenchmarkFleetScale is `make bench-scale` (not in CI): one SecurePipelineSet over an organisation of
// SCALE_REPOS repositories (default 1,000) with one GitHub identity (SCALE_IDENTITY: token, the default,
// or app for a GitHub App installation), the manager binary (bin/manager) running as its own process
// under its RBAC against a real API server, and the simulator in the benchmark's process, with GitHub's
// token-specific ETags.
//
// Time is scaled. Under GitHub's real limits a cold start of 1,000 takes about an hour, so GitHub's clock
// runs SCALE_FACTOR (default 10) times faster, and everything measured in it is scaled by that one
// factor: the simulator's primary limit (5,000 per hour, so per 6 minutes at 10x) and secondary limit (900 points/min), the operator's
// request budget and sync period (10 m), the set's listing interval (10 m), the workflow audit's interval
// (1 h), an App installation token's life (1 h), and the latency of each
// GitHub request (SCALE_LATENCY, default 50 ms / factor, so that GitHub's 50 ms take the same share of a
// scaled minute as of a real one). The report converts back to GitHub's units.
//
// Phases: cold start until all children are Ready; two sync periods of settling (the first resync after
// creation reads in full what creation wrote); SCALE_STEADY (default one GitHub hour) of steady state, with
// nothing changed; then one rotation of the shared registry Secret, until every repository has it.
//
// SCALE_MANAGER_GOMEMLIMIT and SCALE_MANAGER_GOGC, if set, are the manager's GOMEMLIMIT and GOGC; GOGC is
// 50 otherwise, as config/manager deploys it (SCALE_MANAGER_GOGC=100 measures Go's default).
//
// SCALE_PROFILE_DIR, if set, is where the manager's heap profiles (at the end of the steady state, and at
// each phase's largest resident set), its smaps and its resident set's time series go; only then does the
// manager serve pprof. Taking the profiles grows its heap and brings back the binary's pages (the
// symbols): measure memory without it.
//
// It reports: cold start to all Ready, requests and points per pipeline, the peak points in any minute
// (must stay under the 900 budget), secondary-limit 403s, steady-state charged (non-304) requests per
// repository per GitHub hour and their share of the identity's primary budget, the Secrets read and
// skipped in the steady state, the fan-out of the rotation, the manager process's RSS (peak, at the end,
// and each phase's largest), its CPU time (in the steady state per GitHub hour, and over the whole run),
// and its page faults and reads from storage.
func BenchmarkFleetScale(b *testing.B) {
	repos := envInt("SCALE_REPOS", 1000)
	factor := envInt("SCALE_FACTOR", 10)
	latency := envDuration("SCALE_LATENCY", 50*time.Millisecond/time.Duration(factor))
	const perMinute, syncPeriod, tokenLife = 900, 10 * time.Minute, time.Hour
	steady := envDuration("SCALE_STEADY", time.Hour/time.Duration(factor)) // real time
	identity := os.Getenv("SCALE_IDENTITY")
	if identity == "" {
		identity = "token"
	}
	// The primary budget: 5,000 an hour for a token; for an App installation 5,000 plus 50 per repository
	// beyond 20, at most 12,500 (GitHub's documented rule outside Enterprise Cloud).
	perHour := 5000
	if identity == "app" {
		perHour = min(12500, 5000+50*max(0, repos-20))
	}
	scaled := func(d time.Duration) time.Duration { return d / time.Duration(factor) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	h := harness.ForTest(b, "scale-")
	must(b, h.CheckBinaries(false))
	must(b, h.StartControlPlane())
	must(b, h.InstallOperator(ctx))
	cfg, err := clientcmd.BuildConfigFromFlags("", h.Kubeconfig)
	must(b, err)
	cfg.QPS, cfg.Burst = 200, 400
	k8s, err := client.New(cfg, client.Options{Scheme: testenv.Scheme()})
	must(b, err)

	opts := []githubsim.Option{githubsim.WithPrimaryRateLimitWindow(perHour, scaled(time.Hour)), githubsim.WithSecondaryPoints(perMinute * factor),
		githubsim.WithTokenSpecificETags(), githubsim.WithInstallationTokenTTL(scaled(tokenLife))}
	sim := githubsim.New(opts...).Start()
	defer sim.Close()
	sim.AddOrg("acme")
	sim.AddUser("alice")
	for i := range repos {
		sim.AddRepo("acme", fmt.Sprintf("svc-%04d", i))
	}
	sim.SetFault("*", githubsim.Fault{Latency: latency})

	ns := "scale"
	must(b, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	creds := map[string]string{"token": benchToken}
	if identity == "app" {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		must(b, err)
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		must(b, err)
		sim.AddApp(4242, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		sim.AddInstallation(4242, 424242, "*")
		creds = map[string]string{"appID": "4242", "installationID": "424242",
			"privateKey": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))}
	} else {
		sim.AddToken(benchToken, "*")
	}
	must(b, k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"}, StringData: creds}))
	must(b, k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shared-registry"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig("bot", "initial")},
	}))

	// The manager serves pprof only when profiles are asked for: config/manager serves none, and without
	// it the manager keeps no heap profile (cmd/main.go).
	profileDir := os.Getenv("SCALE_PROFILE_DIR")
	flags := []string{"--zap-devel=false", "--zap-log-level=info",
		"--sync-period=" + scaled(syncPeriod).String(),
		"--github-points-per-minute=" + strconv.Itoa(perMinute*factor),
		"--max-concurrent-reconciles=" + strconv.Itoa(maxConcurrentReconciles)}
	pprofAddr := ""
	if profileDir != "" {
		must(b, os.MkdirAll(profileDir, 0o755))
		pprofAddr, err = harness.FreeAddr()
		must(b, err)
		flags = append(flags, "--pprof-bind-address="+pprofAddr)
	}
	// config/manager/manager.yaml runs the manager with GOGC=50: measure what it deploys.
	for name, v := range map[string]string{"GOMEMLIMIT": "", "GOGC": "50"} {
		if s, ok := os.LookupEnv("SCALE_MANAGER_" + name); ok {
			v = s
		}
		if v != "" {
			// The manager inherits the environment (the control plane has started already); this
			// process read its own when it started.
			must(b, os.Setenv(name, v))
			defer func() { _ = os.Unsetenv(name) }()
		}
	}
	mgr, err := h.StartManager(ctx, sim.URL(), flags...)
	must(b, err)
	var onPeak func(string)
	if profileDir != "" {
		// What the heap held when the resident set peaked, with the runtime's own account of its memory.
		onPeak = func(phase string) {
			if resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/heap?debug=1"); err == nil {
				if body, err := io.ReadAll(resp.Body); err == nil {
					_ = os.WriteFile(filepath.Join(profileDir, "manager-heap-peak-"+identity+"-"+phase+".txt"), body, 0o600)
				}
				_ = resp.Body.Close()
			}
		}
	}
	rss := watchRSS(ctx, mgr.Pid(), "cold", onPeak)

	set := &civ1alpha1.SecurePipelineSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: civ1alpha1.SecurePipelineSetSpec{
			Selector: civ1alpha1.RepositorySelector{Owner: "acme"},
			Interval: &metav1.Duration{Duration: scaled(civ1alpha1.DefaultSetInterval)},
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
				WorkflowAudit: civ1alpha1.WorkflowAudit{Enabled: ptr.To(true), Interval: &metav1.Duration{Duration: scaled(time.Hour)}},
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

	rss.enter("settle")
	// Settling: the first resync after creation reads in full what creation wrote (a write drops the
	// cached reads it changed); two sync periods (with their jitter) pass before the steady state counts.
	time.Sleep(scaled(syncPeriod) * 22 / 10)
	settleReqs := sim.Requests()[len(coldReqs):]
	sim.ResetRequests()
	rss.enter("steady")
	metricsBefore := scrape(ctx, b, mgr)
	cpuBefore := processCPU(b, mgr.Pid())
	time.Sleep(steady)
	steadyReqs := sim.Requests()
	steadyCPU := processCPU(b, mgr.Pid()) - cpuBefore
	metricsAfter := scrape(ctx, b, mgr)
	if profileDir != "" {
		saveProfile(b, "http://"+pprofAddr+"/debug/pprof/heap", filepath.Join(profileDir, "manager-heap-"+identity+".pprof"))
		// Which mappings the resident pages belong to (the binary's text and tables, or the heap).
		smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", mgr.Pid()))
		must(b, err)
		must(b, os.WriteFile(filepath.Join(profileDir, "manager-smaps-"+identity+".txt"), smaps, 0o600))
	}
	charged := 0
	for _, r := range steadyReqs {
		if r.Status != 304 {
			charged++
		}
	}
	githubHours := steady.Hours() * float64(factor)
	b.Logf("steady state over %s (%.2f GitHub hours):\n%s", steady, githubHours, breakdown(steadyReqs))
	secretReads := map[string]float64{}
	for _, k := range []string{"github-credentials read", "github-credentials skipped", "registry read", "registry skipped"} {
		kind, result, _ := strings.Cut(k, " ")
		secretReads[k] = metricValue(metricsAfter, kind, result) - metricValue(metricsBefore, kind, result)
	}
	b.Logf("Secret reads in the steady state: %v", secretReads)

	// Fan-out: one rotation of the shared Secret reaches every repository.
	sim.ResetRequests()
	rss.enter("fan-out")
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
	b.Logf("fan-out requests:\n%s", breakdown(fanReqs))

	all := append(append(append(append([]githubsim.RequestRecord{}, coldReqs...), settleReqs...), steadyReqs...), fanReqs...)
	forbidden := 0
	for _, r := range all {
		if r.Status == 403 || r.Status == 429 {
			forbidden++
		}
	}
	mem := rss.latest()
	b.Logf("the manager's resident set by phase:\n%s", rss.report())
	if profileDir != "" {
		must(b, os.WriteFile(filepath.Join(profileDir, "manager-rss-"+identity+".tsv"), rss.samples(), 0o600))
	}
	f := float64(factor)
	b.ReportMetric(cold.Seconds()*f/60, "cold-start-github-min")
	b.ReportMetric(float64(len(coldReqs))/float64(repos), "cold-req/pipeline")
	b.ReportMetric(points(coldReqs)/float64(repos), "cold-points/pipeline")
	b.ReportMetric(peakPointsPerMinute(all)/f, "peak-points/github-min")
	b.ReportMetric(float64(forbidden), "403s")
	b.ReportMetric(float64(charged)/float64(repos)/githubHours, "steady-charged-req/repo/github-h")
	b.ReportMetric(float64(charged)/githubHours/float64(perHour)*100, "steady-charged-%-of-primary")
	b.ReportMetric(float64(len(steadyReqs))/float64(repos)/githubHours, "steady-req/repo/github-h")
	b.ReportMetric(points(steadyReqs)/githubHours/60, "steady-points/github-min")
	b.ReportMetric(fanout.Seconds()*f/60, "fanout-github-min")
	b.ReportMetric(float64(len(fanReqs))/float64(repos), "fanout-req/repo")
	b.ReportMetric(mem.peak, "manager-peak-rss-MiB")
	b.ReportMetric(mem.total, "manager-rss-MiB")
	b.ReportMetric(mem.anon, "manager-rss-anon-MiB")
	b.ReportMetric(mem.file, "manager-rss-file-MiB")
	// The steady state's CPU is for one GitHub hour of work, done in steady real time.
	b.ReportMetric(steadyCPU.Seconds()/githubHours, "manager-steady-cpu-s/github-h")
	b.ReportMetric(processCPU(b, mgr.Pid()).Seconds(), "manager-cpu-s")
	minor, major, readBytes := processFaults(b, mgr.Pid())
	b.ReportMetric(float64(minor), "manager-minor-faults")
	b.ReportMetric(float64(major), "manager-major-faults")
	b.ReportMetric(float64(readBytes)/(1<<20), "manager-read-MiB")
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

// processCPU is the CPU time (user and system) a process has used, from /proc/PID/stat.
func processCPU(b *testing.B, pid int) time.Duration {
	utime, stime := processStat(b, pid, 14), processStat(b, pid, 15)
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux the bench runs on
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// processStat is field n of /proc/PID/stat, numbered as proc(5) numbers them (utime is 14).
func processStat(b *testing.B, pid, n int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	must(b, err)
	// The command name, in parentheses, may hold spaces; the fields after it are numbered from 3.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	v, err := strconv.ParseInt(fields[n-3], 10, 64)
	must(b, err)
	return v
}

// processFaults is how many page faults a process has taken (minor: the page was in memory, e.g. the page
// cache; major: it was read from disk), from /proc/PID/stat, and the bytes it has had read from storage
// (/proc/PID/io): what giving back the binary's pages costs when they come back.
func processFaults(b *testing.B, pid int) (minor, major, readBytes int64) {
	minor, major = processStat(b, pid, 10), processStat(b, pid, 12)
	if counters, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
		for _, l := range strings.Split(string(counters), "\n") {
			if v, ok := strings.CutPrefix(l, "read_bytes: "); ok {
				readBytes, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return minor, major, readBytes
}

// processMemory is a process's resident set, in MiB: the peak (the kernel's high-water mark), and at the
// end its total, anonymous (heap, stacks) and file-backed (the binary's pages, shared and reclaimable) parts.
type processMemory struct{ peak, total, anon, file float64 }

// rssWatch samples a process's memory every second until its context ends, and keeps, per phase of the
// run, the sample with the largest total: what made the peak (heap or the binary's pages, and when).
type rssWatch struct {
	mu     sync.Mutex
	last   processMemory
	phase  string
	order  []string
	top    map[string]processMemory
	series bytes.Buffer // seconds since start, phase, total, anon, file
	// onPeak, if set, is called (in its own goroutine, at most every 30 s) when a phase reaches a new peak.
	onPeak   func(phase string)
	lastPeak time.Time
}

// watchRSS starts watching pid in its first phase.
func watchRSS(ctx context.Context, pid int, phase string, onPeak func(phase string)) *rssWatch {
	w := &rssWatch{phase: phase, order: []string{phase}, top: map[string]processMemory{}, onPeak: onPeak}
	read := func() (processMemory, bool) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return processMemory{}, false
		}
		var m processMemory
		for _, l := range strings.Split(string(b), "\n") {
			name, rest, ok := strings.Cut(l, ":")
			if !ok || len(strings.Fields(rest)) == 0 {
				continue
			}
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			v := float64(kb) / 1024
			switch name {
			case "VmHWM":
				m.peak = v
			case "VmRSS":
				m.total = v
			case "RssAnon":
				m.anon = v
			case "RssFile":
				m.file = v
			}
		}
		return m, true
	}
	start := time.Now()
	go func() {
		for ctx.Err() == nil {
			if m, ok := read(); ok {
				w.mu.Lock()
				w.last = m
				fmt.Fprintf(&w.series, "%.0f\t%s\t%.1f\t%.1f\t%.1f\n", time.Since(start).Seconds(), w.phase, m.total, m.anon, m.file)
				newPeak := m.total > w.top[w.phase].total
				if newPeak {
					w.top[w.phase] = m
				}
				if newPeak && w.onPeak != nil && time.Since(w.lastPeak) > 30*time.Second {
					w.lastPeak = time.Now()
					go w.onPeak(w.phase)
				}
				w.mu.Unlock()
			}
			time.Sleep(time.Second)
		}
	}()
	return w
}

// enter starts a phase of the run.
func (w *rssWatch) enter(phase string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase = phase
	w.order = append(w.order, phase)
}

// latest is the last sample, with the kernel's high-water mark.
func (w *rssWatch) latest() processMemory {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// samples is the time series so far, tab-separated.
func (w *rssWatch) samples() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.series.Bytes())
}

// report says, per phase, the largest resident set seen and what it was made of.
func (w *rssWatch) report() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out strings.Builder
	for _, p := range w.order {
		m := w.top[p]
		fmt.Fprintf(&out, "  %-8s largest RSS %.1f MiB (anon %.1f, file %.1f)\n", p, m.total, m.anon, m.file)
	}
	return out.String()
}

// saveProfile fetches a pprof profile of the manager into path.
func saveProfile(b *testing.B, url, path string) {
	b.Helper()
	resp, err := http.Get(url)
	must(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(b, err)
	must(b, os.WriteFile(path, body, 0o600))
	b.Logf("the manager's heap profile is in %s (go tool pprof %s)", path, path)
}

func scrape(ctx context.Context, b *testing.B, m *harness.Manager) string {
	b.Helper()
	out, err := m.Metrics(ctx)
	must(b, err)
	return out
}

// metricValue reads securepipeline_secret_reads_total{kind,result} from a Prometheus text exposition.
func metricValue(text, kind, result string) float64 {
	re := regexp.MustCompile(`(?m)^securepipeline_secret_reads_total\{kind="` + regexp.QuoteMeta(kind) + `",result="` + regexp.QuoteMeta(result) + `"\} (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
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
