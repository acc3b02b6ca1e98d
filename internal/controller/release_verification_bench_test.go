package controller

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkReleaseVerification reports what checking one release tag costs, in milliseconds and registry
// requests: cold (first check: list, HEAD, referrers, bundle manifests and blobs, Sigstore verification of a
// signature and an SBOM attestation) and warm (a later check of an unchanged tag: its HEAD, the result from
// the cache). The registry is in memory on loopback, so the milliseconds are CPU cost, not network latency.
//
//	go test -run '^$' -bench BenchmarkReleaseVerification ./internal/controller/
func BenchmarkReleaseVerification(b *testing.B) {
	const tags = 5
	f := newReleaseFixture(b)
	for i := range tags {
		f.pushSigned(fmt.Sprintf("v1.%d.0", i), fmt.Sprintf("refs/tags/v1.%d.0", i))
	}
	check := func(b *testing.B, fresh bool) {
		var requests int64
		b.ResetTimer()
		for b.Loop() {
			if fresh {
				f.r.releases = releaseVerifier{}
			}
			f.clock.now = f.clock.now.Add(2 * time.Hour)
			p := f.pipeline()
			before := f.requests.Load()
			f.run(p)
			requests += f.requests.Load() - before
			if c := releasesCondition(p); c.Reason != "Verified" {
				b.Fatalf("ReleasesVerified: %s: %s", c.Reason, c.Message)
			}
		}
		n := float64(b.N * tags)
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/n, "ms/tag")
		b.ReportMetric(float64(requests)/n, "requests/tag")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("cold", func(b *testing.B) { check(b, true) })
	b.Run("warm", func(b *testing.B) { f.r.releases = releaseVerifier{}; f.run(f.pipeline()); check(b, false) })
}
