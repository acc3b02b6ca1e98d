//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/test/e2e/harness"
)

// TestHardeningIdentity attacks, end to end, what identifies a GitHub server, a repository and a set of
// credentials (issue #10, attacks 2, 3 and 7, and squatting). A victim namespace owns acme/web on the
// simulator: a production environment approved by alice and a production registry credential in it.
// An attacker namespace, whose tokens can also reach acme/web, tries to take the repository over through
// other spellings of the server's URL, to send its token in the clear, to make the victim's pipeline
// resolve "alice" to its own user through a server of its own and a token whose short label collides
// with the victim's, and to squat the repository before the victim comes. Afterwards the victim's
// environments, reviewers and decrypted secrets on the simulator are exactly the victim's.
func TestHardeningIdentity(t *testing.T) {
	const (
		victimNS   = "hi-victim"
		attackerNS = "hi-attacker"
		prodValue  = "victim-production-password"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	g := NewWithT(t)
	env := harness.ForTest(t, "secure-pipeline-e2e-identity-")
	dir := env.Dir
	if err := env.CheckBinaries(false); err != nil {
		t.Fatalf("%v\n(`make test-e2e` builds them all)", err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		out, err := env.Kubectl(ctx, stdin, args...)
		must("kubectl", err)
		return out
	}
	must("starting etcd and kube-apiserver", env.StartControlPlane())
	must("installing the operator", env.InstallOperator(ctx))
	seed := filepath.Join(dir, "seed.yaml")
	must("writing the seed", os.WriteFile(seed, []byte("users: [alice, bob]\norgs: [acme]\nrepos: [acme/web]\n"), 0o600))
	sim, err := env.StartSim(ctx, seed)
	must("starting the victim's GitHub", err)
	evilSeed := filepath.Join(dir, "evil-seed.yaml")
	must("writing the attacker's seed", os.WriteFile(evilSeed, []byte("orgs: [evil]\nrepos: [evil/x]\n"), 0o600))
	evil, err := env.StartSim(ctx, evilSeed)
	must("starting the attacker's own GitHub", err)
	_, err = env.StartManager(ctx, "https://api.github.com/")
	must("starting the manager", err)

	victimToken, collidingToken := hiCollidingTokens()
	const aliasToken, squatToken = "ghp_hi_attacker_alias", "ghp_hi_attacker_squat"
	addUser := func(s *harness.Sim, login string) int64 {
		t.Helper()
		var out struct {
			ID int64 `json:"id"`
		}
		must("adding user "+login, s.Admin(ctx, http.MethodPost, "_sim/users", map[string]string{"login": login}, &out))
		return out.ID
	}
	addToken := func(s *harness.Sim, token string, repos ...string) {
		t.Helper()
		must("adding a token", s.Admin(ctx, http.MethodPost, "_sim/tokens", map[string]any{"token": token, "repos": repos}, nil))
	}
	addToken(sim, victimToken, "acme/web")
	addToken(sim, aliasToken, "acme/web")
	addToken(sim, squatToken) // sees no repository
	malloryID := addUser(sim, "mallory")
	// On the attacker's server "alice" has mallory's id on the victim's.
	for i := 0; ; i++ {
		if id := addUser(evil, fmt.Sprintf("pad-%d", i)); id >= malloryID-1 {
			g.Expect(id).To(Equal(malloryID-1), "cannot line the ids up")
			break
		}
	}
	g.Expect(addUser(evil, "alice")).To(Equal(malloryID))
	addToken(evil, collidingToken, "evil/x")

	kubectl("", "create", "namespace", victimNS)
	kubectl("", "create", "namespace", attackerNS)
	secret := func(ns, name string, typ corev1.SecretType, data map[string]string) {
		t.Helper()
		b, err := yaml.Marshal(&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: typ, StringData: data})
		must("marshalling a Secret", err)
		kubectl(string(b), "apply", "-f", "-")
	}
	secret(victimNS, "github", corev1.SecretTypeOpaque, map[string]string{"token": victimToken})
	secret(victimNS, "prod-registry", corev1.SecretTypeBasicAuth, map[string]string{"username": "release-bot", "password": prodValue})
	secret(attackerNS, "github-alias", corev1.SecretTypeOpaque, map[string]string{"token": aliasToken})
	secret(attackerNS, "github-squat", corev1.SecretTypeOpaque, map[string]string{"token": squatToken})
	secret(attackerNS, "github-collide", corev1.SecretTypeOpaque, map[string]string{"token": collidingToken})
	secret(attackerNS, "prod-registry", corev1.SecretTypeBasicAuth, map[string]string{"username": "mallory", "password": "attacker-password"})

	// spec is a pipeline on owner/name at apiURL with a production environment approved by reviewer and
	// a production registry credential pushed into it.
	spec := func(ns, name, apiURL, credentials, owner, repo, reviewer string) *civ1alpha1.SecurePipeline {
		return &civ1alpha1.SecurePipeline{
			TypeMeta:   metav1.TypeMeta{APIVersion: civ1alpha1.GroupVersion.String(), Kind: "SecurePipeline"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: civ1alpha1.SecurePipelineSpec{
				Repository: civ1alpha1.RepositoryReference{Owner: owner, Name: repo},
				GitHub:     civ1alpha1.GitHubConnection{APIURL: apiURL, CredentialsSecretRef: civ1alpha1.SecretReference{Name: credentials}},
				Environments: []civ1alpha1.Environment{
					{Name: "ci"},
					{Name: "production", Reviewers: []civ1alpha1.Reviewer{{User: reviewer}}},
				},
				Registries: []civ1alpha1.Registry{{
					Name: "prod-registry", Server: "registry.example.com", Environment: "production",
					Tier: civ1alpha1.RegistryTierProduction, CredentialsSecretRef: civ1alpha1.SecretReference{Name: "prod-registry"},
				}},
			},
		}
	}
	apply := func(p *civ1alpha1.SecurePipeline) error {
		b, err := yaml.Marshal(p)
		must("marshalling a pipeline", err)
		_, err = env.Kubectl(ctx, string(b), "apply", "-f", "-")
		return err
	}
	get := func(ns, name string) *civ1alpha1.SecurePipeline {
		out, err := env.Kubectl(ctx, "", "-n", ns, "get", "spl", name, "-o", "json")
		if err != nil {
			return nil
		}
		var p civ1alpha1.SecurePipeline
		if json.Unmarshal([]byte(out), &p) != nil {
			return nil
		}
		return &p
	}
	waitCondition := func(ns, name, condType string, status metav1.ConditionStatus, reason string) {
		t.Helper()
		NewWithT(t).Eventually(func(g Gomega) {
			p := get(ns, name)
			g.Expect(p).NotTo(BeNil())
			var c *metav1.Condition
			for i := range p.Status.Conditions {
				if p.Status.Conditions[i].Type == condType {
					c = &p.Status.Conditions[i]
				}
			}
			g.Expect(c).NotTo(BeNil(), "%s/%s has no %s condition", ns, name, condType)
			g.Expect(c.Status).To(Equal(status), "%s/%s %s: %s: %s", ns, name, condType, c.Reason, c.Message)
			g.Expect(c.Reason).To(Equal(reason), "%s/%s %s: %s", ns, name, condType, c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(p.Generation))
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	}

	// Squatting: the attacker declares acme/web first, with a token that cannot read it.
	must("applying the squatter", apply(spec(attackerNS, "squat", sim.URL, "github-squat", "acme", "web", "mallory")))
	waitCondition(attackerNS, "squat", civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryNotFoundReason)
	// Attack 3: on its own server, with a token whose 4-byte label collides with the victim's, the attacker
	// resolves "alice" first.
	must("applying the cache poisoner", apply(spec(attackerNS, "poison", evil.URL, "github-collide", "evil", "x", "alice")))
	waitCondition(attackerNS, "poison", civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)

	must("applying the victim", apply(spec(victimNS, "web", sim.URL, "github", "acme", "web", "alice")))
	waitCondition(victimNS, "web", civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	// Creation timestamps have a resolution of one second: the attackers that follow are younger.
	time.Sleep(time.Until(get(victimNS, "web").CreationTimestamp.Add(time.Second)))
	victimRepo := func() (envs []string, reviewers []string, secrets map[string]string) {
		t.Helper()
		r, err := sim.Repo(ctx, "acme", "web")
		must("reading acme/web", err)
		secrets = map[string]string{}
		for _, e := range r.Environments {
			envs = append(envs, e.Name)
			if e.Name == "production" {
				for _, rv := range e.Reviewers {
					reviewers = append(reviewers, fmt.Sprintf("%s:%s:%d", rv.Type, rv.Login, rv.ID))
				}
				for _, s := range e.Secrets {
					secrets[s.Name] = s.Value
				}
			}
		}
		return envs, reviewers, secrets
	}
	envs, reviewers, secrets := victimRepo()
	aliceID := addUser(sim, "alice") // the existing account's id
	g.Expect(reviewers).To(Equal([]string{fmt.Sprintf("User:alice:%d", aliceID)}), "attack 3: mallory is id %d", malloryID)
	g.Expect(secrets).To(Equal(map[string]string{"PROD_REGISTRY_USERNAME": "release-bot", "PROD_REGISTRY_PASSWORD": prodValue}))

	// Attack 2: other spellings of the victim's server; attack 7: the token in the clear to a name.
	u, err := url.Parse(sim.URL)
	must("parsing the simulator's URL", err)
	port := u.Port()
	for i, alias := range []string{
		"http://localhost:" + port + "/",
		"http://LOCALHOST:" + port,
		"http://127.0.0.1:" + port + "//",
		"http://127.0.0.1:" + port + "/./",
		"http://[::1]:" + port + "/",
	} {
		name := fmt.Sprintf("alias-%d", i)
		must("applying "+alias, apply(spec(attackerNS, name, alias, "github-alias", "acme", "web", "mallory")))
		if alias == "http://[::1]:"+port+"/" {
			continue // the simulator listens on 127.0.0.1 only: nothing can be sent there
		}
		waitCondition(attackerNS, name, civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.RepositoryConflictReason)
	}
	for _, refused := range []string{
		"http://127.0.0.1:" + port + "/?x",
		"http://127.0.0.1:" + port + "/#frag",
		"http://alice@127.0.0.1:" + port + "/",
		"http://127.evil.example:" + port + "/",
		"http://127.1:" + port + "/",
	} {
		err := apply(spec(attackerNS, "refused", refused, "github-alias", "acme", "web", "mallory"))
		g.Expect(err).To(MatchError(ContainSubstring("spec.github.apiURL")), "%s was admitted", refused)
	}

	// The victim is resynced after every attack, and GitHub still holds exactly what it declared.
	kubectl("", "-n", victimNS, "annotate", "--overwrite", "spl", "web", civ1alpha1.ReconcileRequestAnnotation+"=after-attacks")
	g.Eventually(func() string {
		p := get(victimNS, "web")
		if p == nil {
			return ""
		}
		return p.Status.LastHandledReconcileAt
	}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Equal("after-attacks"))
	waitCondition(victimNS, "web", civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
	envsAfter, reviewersAfter, secretsAfter := victimRepo()
	g.Expect(envsAfter).To(Equal(envs))
	g.Expect(reviewersAfter).To(Equal(reviewers))
	g.Expect(secretsAfter).To(Equal(secrets))

	var log struct {
		Requests []struct {
			Method string `json:"method"`
			Route  string `json:"route"`
			Token  string `json:"token"`
		} `json:"requests"`
	}
	must("reading the simulator's request log", sim.Admin(ctx, http.MethodGet, "_sim/requests", nil, &log))
	for _, r := range log.Requests {
		if (r.Token == aliasToken || r.Token == squatToken) && r.Method != http.MethodGet {
			t.Errorf("an attacker's token wrote to the victim's GitHub: %s", r.Route)
		}
	}
	g.Expect(strings.Join(envsAfter, ",")).To(Equal("ci,production"))

	// A cluster admin limits the attacker's namespace to its own GitHub owner: its pipelines for acme
	// stop at once (the Namespace watch), its own keeps going.
	kubectl("", "annotate", "namespace", attackerNS, civ1alpha1.AllowedOwnersAnnotation+"=Evil")
	waitCondition(attackerNS, "alias-0", civ1alpha1.StalledCondition, metav1.ConditionTrue, civ1alpha1.OwnerNotAllowedReason)
	waitCondition(attackerNS, "poison", civ1alpha1.ReadyCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason)

	// Attack 7 through the manager's flag: a default server that would get tokens in the clear is refused
	// at start, not used by every pipeline without an apiURL.
	_, err = env.StartManager(ctx, "http://github.example.com/")
	g.Expect(err).To(MatchError(ContainSubstring("exited")))
	g.Expect(harness.Tail(filepath.Join(dir, "manager.log"), 5)).To(ContainSubstring("--github-api-url is not a usable GitHub API URL"))
}

// hiCollidingTokens returns two different tokens whose SHA-256 hashes share their first 4 bytes, the
// short label the operator once looked reviewer ids up by (a birthday search: about 2^16 hashes).
func hiCollidingTokens() (string, string) {
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
