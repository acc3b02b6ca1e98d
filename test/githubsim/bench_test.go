package githubsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// Benchmarks: go test -run ^$ -bench . -cpu 1 ./test/githubsim/
// Each reports req/s (wall clock) and req/cpu-s: requests per second of CPU
// time the whole test process (client and server) used, which stays
// meaningful on a loaded machine where wall-clock figures drop. The network
// ones go through a real loopback connection with keep-alive.

// cpuTime is the CPU time (user+system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "req/cpu-s")
	}
}

func benchSim(b *testing.B) *Server {
	b.Helper()
	s := New(WithPrimaryRateLimit(1 << 30)).Start()
	b.Cleanup(s.Close)
	s.AddRepo("acme", "widgets")
	s.AddToken(tokAdmin, "acme/widgets")
	s.UpdateEnvironment("acme", "widgets", "production", func(e *EnvironmentState) { e.WaitTimer = 5 })
	return s
}

func benchGET(b *testing.B, s *Server, path string, hdr ...string) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	req, err := http.NewRequest("GET", s.URL()+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	reportRates(b, cpu0)
}

// BenchmarkSimpleGET fetches a small object (an environment).
func BenchmarkSimpleGET(b *testing.B) {
	benchGET(b, benchSim(b), "repos/acme/widgets/environments/production")
}

// BenchmarkRepoGET fetches the ~6 KB full-repository object.
func BenchmarkRepoGET(b *testing.B) {
	benchGET(b, benchSim(b), "repos/acme/widgets")
}

// BenchmarkConditionalGET answers 304s.
func BenchmarkConditionalGET(b *testing.B) {
	s := benchSim(b)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/repos/acme/widgets/environments/production", nil)
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	s.Handler().ServeHTTP(rec, req)
	benchGET(b, s, "repos/acme/widgets/environments/production", "If-None-Match", rec.Header().Get("ETag"))
}

// BenchmarkHandlerGET measures the simulator without the network.
func BenchmarkHandlerGET(b *testing.B) {
	s := benchSim(b)
	h := s.Handler()
	req := httptest.NewRequest("GET", "/repos/acme/widgets/environments/production", nil)
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	reportRates(b, cpu0)
}
