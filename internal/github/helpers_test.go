package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strconv"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/secure-pipeline/operator/test/githubsim"
)

const (
	tokAdmin = "ghp_admin_widgets"
	tokOther = "ghp_other_widgets"
	tokNone  = "ghp_sees_nothing"
)

// newFakeClock is a settable clock (Now, Step) so that tests of time do not sleep.
func newFakeClock() *clocktesting.FakeClock { return clocktesting.NewFakeClock(time.Now()) }

// fixture is a started simulator with acme/widgets, user alice and team acme/platform, plus a factory
// with its own metrics registry and clock.
type fixture struct {
	sim     *githubsim.Server
	reg     *prometheus.Registry
	clock   *clocktesting.FakeClock
	factory Factory

	repoID, aliceID, teamID int64
}

func newFixture(t *testing.T, simOpts ...githubsim.Option) *fixture {
	t.Helper()
	sim := githubsim.New(simOpts...).Start()
	t.Cleanup(sim.Close)
	f := &fixture{sim: sim, reg: prometheus.NewRegistry(), clock: newFakeClock()}
	f.aliceID = sim.AddUser("alice")
	sim.AddOrg("acme")
	f.teamID = sim.AddTeam("acme", "platform")
	f.repoID = sim.AddRepo("acme", "widgets")
	sim.AddToken(tokAdmin, "acme/widgets")
	sim.AddToken(tokOther, "acme/widgets")
	sim.AddToken(tokNone)
	f.factory = f.newFactory()
	return f
}

// newFactory builds a factory recording into the fixture's registry and clock; mod adjusts its options.
func (f *fixture) newFactory(mod ...func(*FactoryOptions)) Factory {
	// No request budget: these tests move a fake clock that the budget's waits would not see;
	// budget_test.go tests the budget.
	opts := FactoryOptions{Registerer: f.reg, Now: f.clock.Now, PointsPerMinute: -1}
	for _, m := range mod {
		m(&opts)
	}
	return NewFactory(opts)
}

func tokenConn(apiURL, token string) Connection {
	return Connection{APIURL: apiURL, SecretKey: "pipelines/" + token, SecretVersion: "1", Credentials: Credentials{Token: token}}
}

// client returns the fixture factory's client for token.
func (f *fixture) client(t *testing.T, token string) Client {
	t.Helper()
	c, err := f.factory.ClientFor(context.Background(), tokenConn(f.sim.URL(), token))
	if err != nil {
		t.Fatalf("building a client: %v", err)
	}
	return c
}

func tokenIdentity(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token-" + hex.EncodeToString(sum[:])[:8]
}

// appKey generates an RSA key, returning the private key PEM (PKCS#1, as GitHub hands them out) and the
// public key PEM the simulator verifies JWTs with.
func appKey(t *testing.T) (privPEM, pubPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generating an RSA key: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("marshalling the public key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
}

// requests is securepipeline_github_requests_total{method, route, code}.
func (f *fixture) requests(t *testing.T, method, route, code string) float64 {
	t.Helper()
	return metricValue(t, f.reg, MetricRequests, map[string]string{"method": method, "route": route, "code": code})
}

// remaining is securepipeline_github_rate_limit_remaining{server, identity} of the fixture's simulator.
func (f *fixture) remaining(t *testing.T, identity string) float64 {
	t.Helper()
	return metricValue(t, f.reg, MetricRateLimitRemaining, map[string]string{"server": f.server(t), "identity": identity})
}

// limited is securepipeline_github_rate_limited_total{server, identity, kind} of the fixture's simulator.
func (f *fixture) limited(t *testing.T, identity, kind string) float64 {
	t.Helper()
	return metricValue(t, f.reg, MetricRateLimited, map[string]string{"server": f.server(t), "identity": identity, "kind": kind})
}

// server is the simulator's canonical API URL, as metrics label it.
func (f *fixture) server(t *testing.T) string {
	t.Helper()
	s, err := ParseServer(f.sim.URL())
	if err != nil {
		t.Fatalf("parsing the simulator's URL: %v", err)
	}
	return s.String()
}

// metricValue reads a counter or gauge with exactly these labels from reg; 0 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering metrics: %v", err)
	}
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
		for _, m := range fam.GetMetric() {
			if labelsEqual(m.GetLabel(), labels) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func labelsEqual(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// routesOf lists the simulator's logged requests as "METHOD template status [conditional]".
func routesOf(recs []githubsim.RequestRecord) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		s := r.Route + " " + strconv.Itoa(r.Status)
		if r.Conditional {
			s += " conditional"
		}
		out = append(out, s)
	}
	return out
}
