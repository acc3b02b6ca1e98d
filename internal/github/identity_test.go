package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secure-pipeline/operator/test/githubsim"
)

// Attack 7: a token is never sent in the clear to a host that is not a literal loopback address,
// whatever was stored in a pipeline or passed as --github-api-url; the refusal names the field.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, raw := range []string{"http://127.evil.example/", "http://github.example.com/api/v3/", "http://localhost./", "http://10.1.2.3/", "http://[::ffff:127.0.0.1]/"} {
		t.Run(raw, func(t *testing.T) {
			g := NewWithT(t)
			f := NewFactory(FactoryOptions{Registerer: prometheus.NewRegistry()})
			_, err := f.ClientFor(context.Background(), tokenConn(raw, secretToken))
			g.Expect(IsInvalidAPIURL(err)).To(BeTrue(), "%v", err)
			g.Expect(IsTransient(err)).To(BeFalse())
			g.Expect(err).To(MatchError(HavePrefix("spec.github.apiURL " + `"` + raw + `": `)))
			g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))

			_, err = NewFactory(FactoryOptions{Registerer: prometheus.NewRegistry(), DefaultAPIURL: raw}).
				ClientFor(context.Background(), tokenConn("", secretToken))
			g.Expect(IsInvalidAPIURL(err)).To(BeTrue(), "the default API URL is checked too: %v", err)
		})
	}
}

// Attack 2, in the factory: every spelling of one server is one client, with one identity.
func TestAPIURLSpellingsShareOneClient(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	u, err := url.Parse(f.sim.URL())
	g.Expect(err).NotTo(HaveOccurred())
	first, err := f.factory.ClientFor(ctx, tokenConn(f.sim.URL(), tokAdmin))
	g.Expect(err).NotTo(HaveOccurred())
	for _, alias := range []string{"HTTP://" + u.Host, "http://" + u.Host + "//", "http://" + u.Host + "/./", "http://" + u.Host + "/x/../"} {
		c, err := f.factory.ClientFor(ctx, tokenConn(alias, tokAdmin))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c).To(BeIdenticalTo(first), alias)
	}
	_, err = first.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.sim.Requests()[0].Path).To(Equal("/repos/acme/widgets"))
}

// Attack 6: the Secret of a client in a rate-limit hold is touched (a label: a new resourceVersion, the
// same token). The rebuilt client keeps the hold and the ETag cache: nothing is sent before retry-after,
// and the first read afterwards is conditional.
func TestHoldAndCacheSurviveAClientRebuild(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	conn := tokenConn(f.sim.URL(), tokAdmin)
	c, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.UserID(ctx, "alice") // cached with its ETag
	g.Expect(err).NotTo(HaveOccurred())
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 120, Count: 1})
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	g.Expect(f.limited(t, tokenIdentity(tokAdmin), "secondary")).To(Equal(1.0), "GitHub's own 403 counts")

	f.sim.ResetRequests()
	conn.SecretVersion = "2"
	rebuilt, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rebuilt).NotTo(BeIdenticalTo(c))
	for range 10 {
		_, err = rebuilt.GetRepository(ctx, "acme", "widgets")
		g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	}
	g.Expect(f.sim.Requests()).To(BeEmpty(), "requests were sent before retry-after")

	f.clock.Step(121 * time.Second)
	_, err = rebuilt.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(routesOf(f.sim.Requests())).To(Equal([]string{"GET /users/{username} 304 conditional"}))
}

// A rotated GitHub App key keeps the installation's hold (GitHub limits the installation, not the key),
// but not its ETag cache: what was cached was shown to another key's tokens.
func TestRotatedAppKeyKeepsTheHoldNotTheCache(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	oldKey, oldPub := appKey(t)
	newKey, newPub := appKey(t)
	f.sim.AddApp(7, oldPub)
	f.sim.AddInstallation(7, 70, "acme/widgets")
	conn := Connection{APIURL: f.sim.URL(), SecretKey: appSecret, SecretVersion: "1",
		Credentials: Credentials{AppID: 7, InstallationID: 70, PrivateKey: oldKey}}
	c, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	f.sim.SetFault("GET "+repoRoute, githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 60, Count: 1})
	_, err = c.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)

	f.sim.ResetRequests()
	f.sim.AddApp(7, newPub) // GitHub now trusts the new key
	conn.SecretVersion, conn.Credentials.PrivateKey = "2", newKey
	rotated, err := f.factory.ClientFor(ctx, conn)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = rotated.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "the installation's hold was dropped with the old key: %v", err)
	g.Expect(f.sim.Requests()).To(BeEmpty())

	f.clock.Step(61 * time.Second)
	_, err = rotated.UserID(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	for _, r := range f.sim.Requests() {
		g.Expect(r.Conditional).To(BeFalse(), "%s was revalidated with an ETag the old key's tokens were shown", r.Route)
	}
}

// Attack 3, in the factory: two tokens whose short labels collide are two identities with two caches
// and two holds; so are two keys for one App installation's public numbers, for the cache.
func TestCollidingLabelsAreTwoIdentities(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	// Found by a birthday search over "ghp_collision%030d" (see collidingTokens in the controller tests).
	a, b := collidingTokens(t)
	g.Expect(tokenIdentity(a)).To(Equal(tokenIdentity(b)))
	f.sim.AddToken(a, "acme/widgets")
	f.sim.AddToken(b)
	ca, err := f.factory.ClientFor(ctx, tokenConn(f.sim.URL(), a))
	g.Expect(err).NotTo(HaveOccurred())
	cb, err := f.factory.ClientFor(ctx, tokenConn(f.sim.URL(), b))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = ca.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = cb.GetRepository(ctx, "acme", "widgets")
	g.Expect(IsNotFound(err)).To(BeTrue(), "b was answered from a's cache: %v", err)
	g.Expect(f.factory.(*factory).identities).To(HaveLen(2))
	g.Expect(strings.Count(strings.Join(routesOf(f.sim.Requests()), "\n"), "conditional")).To(BeZero())
}

// collidingTokens finds two tokens whose SHA-256 hashes share their first 4 bytes (about 2^16 tries).
func collidingTokens(t *testing.T) (string, string) {
	t.Helper()
	seen := map[string]string{}
	for i := 0; ; i++ {
		tok := fmt.Sprintf("ghp_collision%030d", i)
		k := tokenIdentity(tok)
		if other, ok := seen[k]; ok {
			return other, tok
		}
		seen[k] = tok
	}
}

// Attack 3 and 6 with a GitHub App's public numbers: a neighbour naming the victim's App id and
// installation with a key of its own shares nothing with the victim, not even the rate-limit state:
// a limit GitHub puts on the neighbour's requests does not hold the victim's.
func TestAppNumbersAloneShareNoState(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	victimKey, victimPub := appKey(t)
	attackerKey, _ := appKey(t)
	f.sim.AddApp(7, victimPub)
	f.sim.AddInstallation(7, 70, "acme/widgets")
	conn := func(secret string, key []byte) Connection {
		return Connection{APIURL: f.sim.URL(), SecretKey: secret, SecretVersion: "1",
			Credentials: Credentials{AppID: 7, InstallationID: 70, PrivateKey: key}}
	}
	victim, err := f.factory.ClientFor(ctx, conn("victims/app", victimKey))
	g.Expect(err).NotTo(HaveOccurred())
	attacker, err := f.factory.ClientFor(ctx, conn("attackers/app", attackerKey))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(attacker.Identity()).To(Equal(victim.Identity()), "the labels are the same public numbers")

	f.sim.SetFault("POST "+tokenRoute, githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 600, Count: 1})
	_, err = attacker.GetRepository(ctx, "acme", "widgets")
	g.Expect(isRateLimited(err)).To(BeTrue(), "%v", err)
	_, err = victim.GetRepository(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred(), "the neighbour's limit held the victim")
	_, err = attacker.UserID(ctx, "alice")
	g.Expect(isRateLimited(err)).To(BeTrue(), "the neighbour's own hold lasts: %v", err)
	g.Expect(f.factory.(*factory).identities).To(HaveLen(2))
}
