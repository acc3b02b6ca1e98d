package controller_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
	"github.com/secure-pipeline/operator/test/githubsim"
)

// The tests in this file are the attacks of issue #10 on what identifies a GitHub server, a repository
// and a set of credentials, each written as a neighbouring tenant would write it.

const attackerToken = "ghp_attackerTokenForTheSimulator00000000001"

// victimAndAttacker starts the usual victim: acme/web on sim, owned by a Ready pipeline in its own
// namespace. It returns the victim's key and a second namespace whose token also has admin access to
// acme/web, and the victim's production reviewers as GitHub holds them.
func victimAndAttacker(t *testing.T, sim *githubsim.Server) (victim client.ObjectKey, attackerNS string, reviewers []githubsim.Reviewer) {
	t.Helper()
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	victim = client.ObjectKeyFromObject(p)
	ready := waitReady(t, victim)
	// Creation timestamps have a resolution of one second: the attackers must be younger.
	time.Sleep(time.Until(ready.CreationTimestamp.Add(time.Second)))
	prod, ok := sim.Environment("acme", "web", "production")
	NewWithT(t).Expect(ok).To(BeTrue())

	attackerNS = newNamespace(t)
	sim.AddUser("mallory")
	sim.AddToken(attackerToken, "acme/web")
	tokenSecret(t, attackerNS, attackerToken)
	return victim, attackerNS, prod.Reviewers
}

// attackerPipeline wants acme/web's production environment approved by mallory alone, and a staging
// environment of its own.
func attackerPipeline(ns, name, apiURL string) *civ1alpha1.SecurePipeline {
	return &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			GitHub:     civ1alpha1.GitHubConnection{APIURL: apiURL, CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"}},
			Environments: []civ1alpha1.Environment{
				{Name: "staging"},
				{Name: "production", Reviewers: []civ1alpha1.Reviewer{{User: "mallory"}}},
			},
		},
	}
}

// expectUntouched checks that nothing the attacker sent changed acme/web.
func expectUntouched(t *testing.T, sim *githubsim.Server, reviewers []githubsim.Reviewer) {
	t.Helper()
	g := NewWithT(t)
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(Equal(reviewers), "the victim's production reviewers changed")
	g.Expect(sim.EnvironmentNames("acme", "web")).NotTo(ContainElement("staging"))
	g.Expect(writes(requestsWithToken(sim, attackerToken))).To(BeEmpty(), "the attacker wrote to GitHub")
}

// Attack 2: a neighbour names the victim's repository through another spelling of the same server. Every
// spelling is refused at admission or loses the repository to the older owner, and writes nothing.
func TestAPIURLAliasesCannotTakeOverARepository(t *testing.T) {
	sim := newSim(t)
	_, attackerNS, reviewers := victimAndAttacker(t, sim)
	u, err := url.Parse(sim.URL())
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	port := u.Port()

	for i, alias := range []string{
		"http://localhost:" + port + "/",
		"http://LOCALHOST:" + port,
		"http://127.0.0.1:" + port + "//",
		"http://127.0.0.1:" + port + "/./",
		"http://127.0.0.1:" + port + "/?x",
		"http://127.0.0.1:" + port + "/#frag",
		"http://user@127.0.0.1:" + port + "/",
	} {
		t.Run(alias, func(t *testing.T) {
			g := NewWithT(t)
			p := attackerPipeline(attackerNS, fmt.Sprintf("alias-%d", i), alias)
			if err := k8s.Create(context.Background(), p); err != nil {
				g.Expect(err.Error()).To(ContainSubstring("spec.github.apiURL"))
				return
			}
			got := waitFor(t, client.ObjectKeyFromObject(p), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryConflictReason)
			g.Expect(condition(got, civ1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
			expectUntouched(t, sim, reviewers)
		})
	}
}

// Attack 3: a tenant cannot choose another tenant's reviewer by caching a login's id from a server of its
// own. The reviewer cache is keyed by the server, not by a label of the credentials: neither a token
// whose old 4-byte label collides with the victim's, nor a GitHub App's public numbers, lets the
// attacker's "alice" become the victim's.
func TestReviewerIDsAreFactsOfOneServer(t *testing.T) {
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	attackerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	victimTok, attackerTok := collidingTokens()

	for _, tc := range []struct {
		name             string
		victim, attacker func(ns string)
		seedVictim       func(sim *githubsim.Server)
		seedAttacker     func(sim *githubsim.Server)
	}{{
		name:         "tokens whose 4-byte hash labels collide",
		victim:       func(ns string) { tokenSecret(t, ns, victimTok) },
		attacker:     func(ns string) { tokenSecret(t, ns, attackerTok) },
		seedVictim:   func(sim *githubsim.Server) { sim.AddToken(victimTok, "acme/web") },
		seedAttacker: func(sim *githubsim.Server) { sim.AddToken(attackerTok, "evil/x") },
	}, {
		name:   "GitHub Apps with the same public numbers",
		victim: func(ns string) { appSecret(t, ns, 4242, 777, appKey) },
		// The attacker does not know the victim's key; its own server trusts its own.
		attacker:     func(ns string) { appSecret(t, ns, 4242, 777, attackerKey) },
		seedVictim:   func(sim *githubsim.Server) { addApp(sim, 4242, 777, "acme/web", appKey) },
		seedAttacker: func(sim *githubsim.Server) { addApp(sim, 4242, 777, "evil/x", attackerKey) },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			victimSim := newSim(t)
			tc.seedVictim(victimSim)
			malloryID := victimSim.AddUser("mallory")
			aliceID := userID(t, victimSim, "alice")

			// The attacker's own server has an "alice" whose id is mallory's on the victim's server.
			evil := githubsim.New().Start()
			t.Cleanup(evil.Close)
			retireWithSim(t, evil)
			evil.AddOrg("evil")
			evil.AddRepo("evil", "x")
			for i := 0; ; i++ {
				if id := evil.AddUser(fmt.Sprintf("pad-%d", i)); id >= malloryID-1 {
					g.Expect(id).To(Equal(malloryID-1), "cannot line the ids up")
					break
				}
			}
			g.Expect(evil.AddUser("alice")).To(Equal(malloryID))
			tc.seedAttacker(evil)

			attackerNS := newNamespace(t)
			tc.attacker(attackerNS)
			ap := pipeline(attackerNS, "x", evil)
			ap.Spec.Repository = civ1alpha1.RepositoryReference{Owner: "evil", Name: "x"}
			ap.Spec.Environments = []civ1alpha1.Environment{{Name: "production", Reviewers: []civ1alpha1.Reviewer{{User: "alice"}}}}
			ap.Spec.DCO.Enforce = false
			create(t, ap)
			waitReady(t, client.ObjectKeyFromObject(ap))

			victimNS := newNamespace(t)
			tc.victim(victimNS)
			vp := pipeline(victimNS, "web", victimSim)
			vp.Spec.Environments[1].Reviewers = []civ1alpha1.Reviewer{{User: "alice"}}
			create(t, vp)
			waitReady(t, client.ObjectKeyFromObject(vp))
			prod, _ := victimSim.Environment("acme", "web", "production")
			g.Expect(prod.Reviewers).To(ConsistOf(HaveField("ID", aliceID)), "mallory (id %d) became the victim's reviewer", malloryID)
		})
	}
}

// collidingTokens returns two different tokens whose SHA-256 hashes share their first 4 bytes: the
// label the operator once looked reviewer ids up by. A birthday search finds one in about 2^16 hashes.
func collidingTokens() (string, string) {
	seen := map[uint32]string{}
	for i := 0; ; i++ {
		tok := fmt.Sprintf("ghp_collision%030d", i)
		sum := sha256.Sum256([]byte(tok))
		k := binary.BigEndian.Uint32(sum[:4])
		if other, ok := seen[k]; ok {
			return other, tok
		}
		seen[k] = tok
	}
}

func userID(t *testing.T, sim *githubsim.Server, login string) int64 {
	t.Helper()
	return sim.AddUser(login) // AddUser returns the existing account's id
}

func appSecret(t *testing.T, ns string, appID, installationID int64, key *rsa.PrivateKey) {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "github"}, Data: map[string][]byte{
		"appID":          fmt.Appendf(nil, "%d", appID),
		"installationID": fmt.Appendf(nil, "%d", installationID),
		"privateKey":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
	}})
}

func addApp(sim *githubsim.Server, appID, installationID int64, repo string, key *rsa.PrivateKey) {
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic(err)
	}
	sim.AddApp(appID, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	sim.AddInstallation(appID, installationID, repo)
}

// Attack 6: a rate-limit hold survives a touch of the credentials Secret (a label change rebuilds the
// client): no request reaches GitHub before retry-after ends.
func TestRateLimitHoldSurvivesASecretTouch(t *testing.T) {
	g := NewWithT(t)
	sim, ns, key := readyPipeline(t, nil)
	sim.SetFault("GET /repos/{owner}/{repo}", githubsim.Fault{SecondaryRateLimit: true, RetryAfter: 120, Count: 1})
	update(t, key, func(p *civ1alpha1.SecurePipeline) {
		p.Annotations = map[string]string{civ1alpha1.ReconcileRequestAnnotation: "limit-me"}
	})
	waitFor(t, key, civ1alpha1.ReconcilingCondition, metav1.ConditionTrue, civ1alpha1.RateLimitedReason)
	refused := rateLimitedTotal(t)
	sim.ResetRequests()

	secret := &corev1.Secret{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "github"}, secret)).To(Succeed())
	patch := client.MergeFrom(secret.DeepCopy())
	secret.Labels = map[string]string{"touched": "yes"}
	g.Expect(k8s.Patch(context.Background(), secret, patch)).To(Succeed())
	// The Secret's watch reconciles the pipeline with a rebuilt client, which is refused locally.
	g.Eventually(func() float64 { return rateLimitedTotal(t) }).WithTimeout(timeout).WithPolling(poll).
		Should(BeNumerically(">", refused), "no reconcile was refused by the hold after the Secret was touched")
	g.Expect(sim.Requests()).To(BeEmpty(), "requests were sent during the hold after the Secret was touched")
}

// rateLimitedTotal sums securepipeline_github_rate_limited_total over all series of the operator
// running in this process.
func rateLimitedTotal(t *testing.T) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var sum float64
	for _, f := range families {
		if f.GetName() == githubapi.MetricRateLimited {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// A renamed repository's old name is an alias GitHub follows: a neighbour naming acme/old-web after it
// became acme/web is refused before it writes, rather than being a second owner of one repository.
func TestRenamedRepositoryNameIsNotASecondRepository(t *testing.T) {
	g := NewWithT(t)
	// newSim's seed, with acme/web made by renaming acme/old-web.
	sim := githubsim.New().Start()
	t.Cleanup(sim.Close)
	retireWithSim(t, sim)
	sim.AddOrg("acme")
	sim.AddUser("alice")
	sim.AddUser("bob")
	sim.AddTeam("acme", "release-managers")
	sim.AddRepo("acme", "old-web")
	sim.RenameRepo("acme", "old-web", "web")
	sim.AddToken(testToken, "acme/web")
	_, attackerNS, reviewers := victimAndAttacker(t, sim)
	p := attackerPipeline(attackerNS, "old-name", sim.URL())
	p.Spec.Repository.Name = "old-web"
	create(t, p)
	got := waitFor(t, client.ObjectKeyFromObject(p), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryRenamedReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring("as acme/web"))
	g.Expect(got.Status.RepositoryID).To(BeZero())
	expectUntouched(t, sim, reviewers)
}

// Two new pipelines on one repository, created at the same moment in two namespaces, both with access:
// neither has proved access yet when the other decides, so each first records its proof and writes
// only in the next round. Exactly one of them ever writes to GitHub.
func TestSimultaneousNewcomersDoNotBothWrite(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.AddUser("mallory")
	sim.AddToken(attackerToken, "acme/web")
	nsA, nsB := newNamespace(t), newNamespace(t)
	tokenSecret(t, nsA, testToken)
	tokenSecret(t, nsB, attackerToken)
	a, b := pipeline(nsA, "web", sim), attackerPipeline(nsB, "web", sim.URL())
	create(t, a)
	create(t, b)
	keys := []client.ObjectKey{client.ObjectKeyFromObject(a), client.ObjectKeyFromObject(b)}
	// A later simulator may get this one's port: these pipelines must not own its acme/web.
	t.Cleanup(func() {
		for _, key := range keys {
			deletePipeline(t, key)
		}
	})
	g.Eventually(func() []string {
		var states []string
		for _, key := range keys {
			p := get(t, key)
			switch {
			case condition(p, civ1alpha1.ReadyCondition).Status == metav1.ConditionTrue:
				states = append(states, "owner")
			case condition(p, civ1alpha1.StalledCondition).Reason == civ1alpha1.RepositoryConflictReason:
				states = append(states, "conflict")
			}
		}
		return states
	}).WithTimeout(timeout).WithPolling(poll).Should(ConsistOf("owner", "conflict"))
	wroteA, wroteB := len(writes(requestsWithToken(sim, testToken))) > 0, len(writes(requestsWithToken(sim, attackerToken))) > 0
	g.Expect(wroteA != wroteB).To(BeTrue(), "both pipelines wrote (a: %t, b: %t)", wroteA, wroteB)
}

// The first proof of access settles for proofSettleTime before the first write, however soon the
// pipeline runs again: anything may wake it (a Secret touched, another pipeline's create event, another
// pipeline's proof). A settling counted in rounds let a woken pipeline write milliseconds after its proof,
// before a second newcomer's proof of the same moment was in the cache, and both wrote
// (TestSimultaneousNewcomersDoNotBothWrite, about once in a hundred runs).
func TestFirstProofSettlesBeforeTheFirstWrite(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	g.Eventually(func() int64 { return get(t, key).Status.RepositoryID }).WithTimeout(timeout).WithPolling(10 * time.Millisecond).ShouldNot(BeZero())
	// Wake it at once: its credentials Secret is touched.
	secret := &corev1.Secret{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "github"}, secret)).To(Succeed())
	secret.Labels = map[string]string{"touched": "yes"}
	g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
	waitReady(t, key)
	reqs := sim.Requests()
	proof := slices.IndexFunc(reqs, func(r githubsim.RequestRecord) bool { return r.Route == "GET /repos/{owner}/{repo}" })
	write := slices.IndexFunc(reqs, func(r githubsim.RequestRecord) bool { return r.Method != "GET" && r.Method != "HEAD" })
	g.Expect(proof).To(BeNumerically(">=", 0))
	g.Expect(write).To(BeNumerically(">", proof))
	g.Expect(reqs[write].Time.Sub(reqs[proof].Time)).To(BeNumerically(">=", 900*time.Millisecond),
		"the first write came %s after the proof", reqs[write].Time.Sub(reqs[proof].Time))
}

// Squatting: a pipeline whose credentials cannot read a repository does not own it, however old it is;
// the real owner's pipeline, created later, manages the repository.
func TestSquatterWithoutAccessCannotBlockTheOwner(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	squatNS := newNamespace(t)
	sim.AddToken(attackerToken) // a valid token that sees no repository
	tokenSecret(t, squatNS, attackerToken)
	squatter := attackerPipeline(squatNS, "squat", sim.URL())
	create(t, squatter)
	got := waitFor(t, client.ObjectKeyFromObject(squatter), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryNotFoundReason)
	time.Sleep(time.Until(got.CreationTimestamp.Add(time.Second)))

	ownerNS := newNamespace(t)
	tokenSecret(t, ownerNS, testToken)
	owner := pipeline(ownerNS, "web", sim)
	create(t, owner)
	waitReady(t, client.ObjectKeyFromObject(owner))
	prod, _ := sim.Environment("acme", "web", "production")
	g.Expect(prod.Reviewers).To(HaveLen(2))
	g.Expect(writes(requestsWithToken(sim, attackerToken))).To(BeEmpty())

	// The squatter stays out even once it is resynced: it still cannot read the repository.
	got = requestResync(t, client.ObjectKeyFromObject(squatter))
	g.Expect(condition(got, civ1alpha1.StalledCondition).Reason).To(Equal(civ1alpha1.RepositoryNotFoundReason))
	g.Expect(got.Status.RepositoryID).To(BeZero())
}

// Squatting a public repository: anyone's token can read it, so a read alone proves nothing. A squatter
// whose user does not administer the repository neither owns it nor blocks the owner.
func TestSquatterOnAPublicRepositoryCannotBlockTheOwner(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	sim.UpdateRepo("acme", "web", func(r *githubsim.RepoState) { r.Private = false })
	squatNS := newNamespace(t)
	sim.AddToken(attackerToken) // a valid token of a user with no role on acme/web
	tokenSecret(t, squatNS, attackerToken)
	squatter := attackerPipeline(squatNS, "squat", sim.URL())
	create(t, squatter)
	got := waitFor(t, client.ObjectKeyFromObject(squatter), civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.AccessDeniedReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(ContainSubstring("do not administer it"))
	g.Expect(got.Status.RepositoryID).To(BeZero())
	time.Sleep(time.Until(got.CreationTimestamp.Add(time.Second)))

	ownerNS := newNamespace(t)
	tokenSecret(t, ownerNS, testToken)
	owner := pipeline(ownerNS, "web", sim)
	create(t, owner)
	waitReady(t, client.ObjectKeyFromObject(owner))
	g.Expect(writes(requestsWithToken(sim, attackerToken))).To(BeEmpty())
}

// A Namespace annotated by a cluster admin with the GitHub owners it may manage keeps its pipelines to
// those owners (compared as GitHub compares logins, case-insensitively): a pipeline for another owner is
// Stalled and sends nothing to GitHub, and adding the annotation stops a running pipeline.
func TestNamespaceAllowedOwners(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	annotate := func(value string) {
		n := &corev1.Namespace{}
		g.Expect(k8s.Get(context.Background(), client.ObjectKey{Name: ns}, n)).To(Succeed())
		patch := client.MergeFrom(n.DeepCopy())
		n.Annotations = map[string]string{civ1alpha1.AllowedOwnersAnnotation: value}
		g.Expect(k8s.Patch(context.Background(), n, patch)).To(Succeed())
	}
	annotate(" ACME-labs, Acme ")
	tokenSecret(t, ns, testToken)
	p := pipeline(ns, "web", sim)
	create(t, p)
	key := client.ObjectKeyFromObject(p)
	waitReady(t, key)

	annotate("acme-labs")
	got := waitFor(t, key, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.OwnerNotAllowedReason)
	g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(SatisfyAll(
		ContainSubstring(`"acme"`), ContainSubstring(civ1alpha1.AllowedOwnersAnnotation), ContainSubstring("acme-labs")))
	sim.ResetRequests()
	sim.UpdateEnvironment("acme", "web", "production", func(e *githubsim.EnvironmentState) { e.Reviewers = nil })
	requestResync(t, key)
	g.Expect(sim.Requests()).To(BeEmpty())
}

// Objects stored before the apiURL rules existed are refused by the controller with the admission
// rule's words. The test removes the rules from the CRD for a moment, stores such pipelines, and puts
// the rules back: a query (an alias of the owner's server, attack 2) and plain http to a host name that
// is not loopback (attack 7: the token would cross the network in the clear).
func TestStoredAPIURLsAreRefusedByTheController(t *testing.T) {
	g := NewWithT(t)
	sim := newSim(t)
	ns := newNamespace(t)
	tokenSecret(t, ns, testToken)
	u, _ := url.Parse(sim.URL())
	bad := map[string]string{
		"query": sim.URL() + "?x",
		// Never dialled once refused; on a controller that dialled it, it would need DNS.
		"plaintext": "http://127.evil.example:" + u.Port() + "/",
	}
	withoutAPIURLRules(t, func() {
		for name, apiURL := range bad {
			p := pipeline(ns, name, sim)
			p.Spec.GitHub.APIURL = apiURL
			create(t, p)
		}
	})
	for name, apiURL := range bad {
		got := waitFor(t, client.ObjectKey{Namespace: ns, Name: name}, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.InvalidSpecReason)
		g.Expect(condition(got, civ1alpha1.ReadyCondition).Message).To(HavePrefix(fmt.Sprintf("spec.github.apiURL %q: ", apiURL)))
	}
	g.Expect(sim.Requests()).To(BeEmpty())
}

// withoutAPIURLRules runs store with the CRD's x-kubernetes-validations on spec.github.apiURL removed.
func withoutAPIURLRules(t *testing.T, store func()) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	name := "securepipelines.ci.securepipeline.dev"
	g.Expect(k8s.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed())
	original := crd.DeepCopy()
	prop := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["github"].Properties["apiURL"]
	prop.XValidations = nil
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["github"].Properties["apiURL"] = prop
	g.Expect(k8s.Update(ctx, crd)).To(Succeed())
	restore := func() {
		g.Eventually(func() error {
			cur := &apiextensionsv1.CustomResourceDefinition{}
			if err := k8s.Get(ctx, client.ObjectKey{Name: name}, cur); err != nil {
				return err
			}
			cur.Spec = original.Spec
			return k8s.Update(ctx, cur)
		}).WithTimeout(timeout).Should(Succeed())
	}
	defer restore()
	// The API server picks the new schema up asynchronously.
	probe := pipeline("default", "probe", newSim(t))
	probe.Spec.GitHub.APIURL = "http://probe.example/?x"
	g.Eventually(func() error {
		return k8s.Create(ctx, probe.DeepCopy(), client.DryRunAll)
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	store()
}
