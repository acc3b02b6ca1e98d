package controller_test

import (
	"net/http"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/secure-pipeline/operator/test/githubsim"
)

// A rotation whose push meets a secondary rate limit lands once the limit lifts, even when the identity's
// primary budget is being paced: the retry's reads (a listing whose cached answer the failed write
// dropped) are the rotation's, so they go ahead of routine resyncs instead of waiting with them for the
// hour to pass. With 200 requests an hour of which 130 are spent within a minute, a routine charged read
// would wait over half an hour here.
func TestRateLimitedRotationIsRetriedAheadOfThePacing(t *testing.T) {
	const token = "ghp_pacedIdentityForTheRotationRetry0001"
	sim := newSim(t, githubsim.WithPrimaryRateLimit(200))
	sim.AddToken(token, "acme/web")
	ns, _ := readyWithCIRegistry(t, sim, token)
	// Someone else spends the same token's hour down to 70 left, above the operator's floor of 50.
	g := NewWithT(t)
	for remaining := 200; remaining > 70; {
		req, _ := http.NewRequest(http.MethodGet, sim.URL()+"repos/acme/web", nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		remaining, _ = strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
	}

	sim.SetFault("PUT /repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
		githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 1, Count: 1})
	dockerSecret(t, ns, "ghcr-creds", "ghcr.io", "bot", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_PASSWORD", "second")
	eventuallySimSecret(t, sim, "ci", "GHCR_USERNAME", "bot")
}
