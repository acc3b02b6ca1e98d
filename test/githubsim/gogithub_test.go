package githubsim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	. "github.com/onsi/gomega"
	"golang.org/x/crypto/nacl/box"
)

// These tests drive the simulator through go-github v60, the client the
// operator uses, to check that a real client's expectations hold.

func ghClient(t *testing.T, s *Server, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatalf("parsing simulator URL: %v", err)
	}
	c.BaseURL = u
	return c
}

func TestGoGitHubRepoUsersTeams(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := ghClient(t, f.sim, tokAdmin)

	repo, resp, err := c.Repositories.Get(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(repo.GetID()).To(Equal(f.widgetsID))
	g.Expect(repo.GetDefaultBranch()).To(Equal("main"))
	g.Expect(repo.GetOwner().GetType()).To(Equal("Organization"))
	g.Expect(repo.GetWebCommitSignoffRequired()).To(BeFalse())
	g.Expect(resp.Rate.Limit).To(Equal(5000))
	g.Expect(resp.Rate.Remaining).To(Equal(4999))
	g.Expect(resp.Rate.Reset.Time).To(BeTemporally("~", time.Now().Add(time.Hour), 5*time.Second))

	edited, _, err := c.Repositories.Edit(ctx, "acme", "widgets", &github.Repository{WebCommitSignoffRequired: github.Bool(true)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(edited.GetWebCommitSignoffRequired()).To(BeTrue())
	st, _ := f.sim.Repo("acme", "widgets")
	g.Expect(st.WebCommitSignoffRequired).To(BeTrue())

	u, _, err := c.Users.Get(ctx, "alice")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u.GetID()).To(Equal(f.aliceID))
	team, _, err := c.Teams.GetTeamBySlug(ctx, "acme", "platform")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(team.GetID()).To(Equal(f.teamID))

	// No access: 404, as GitHub hides private repositories.
	_, resp, err = ghClient(t, f.sim, tokNone).Repositories.Get(ctx, "acme", "widgets")
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	// Bad token: 401 Bad credentials.
	_, resp, err = ghClient(t, f.sim, "ghp_wrong").Repositories.Get(ctx, "acme", "widgets")
	var er *github.ErrorResponse
	g.Expect(errors.As(err, &er)).To(BeTrue())
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
	g.Expect(er.Message).To(Equal("Bad credentials"))
	// Read-only token: 403 on writes.
	_, resp, _ = ghClient(t, f.sim, tokRead).Repositories.Edit(ctx, "acme", "widgets", &github.Repository{WebCommitSignoffRequired: github.Bool(false)})
	g.Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
}

func TestGoGitHubEnvironmentsAndBranchPolicies(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := ghClient(t, f.sim, tokAdmin)

	env, _, err := c.Repositories.CreateUpdateEnvironment(ctx, "acme", "widgets", "production", &github.CreateUpdateEnvironment{
		WaitTimer:         github.Int(15),
		PreventSelfReview: github.Bool(true),
		Reviewers: []*github.EnvReviewers{
			{Type: github.String("User"), ID: github.Int64(f.aliceID)},
			{Type: github.String("Team"), ID: github.Int64(f.teamID)},
		},
		DeploymentBranchPolicy: &github.BranchPolicy{ProtectedBranches: github.Bool(false), CustomBranchPolicies: github.Bool(true)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.GetName()).To(Equal("production"))
	g.Expect(env.ProtectionRules).To(HaveLen(3))
	g.Expect(env.GetDeploymentBranchPolicy().GetCustomBranchPolicies()).To(BeTrue())

	st, ok := f.sim.Environment("acme", "widgets", "production")
	g.Expect(ok).To(BeTrue())
	g.Expect(st.WaitTimer).To(Equal(15))
	g.Expect(st.PreventSelfReview).To(BeTrue())
	g.Expect(st.Reviewers).To(Equal([]Reviewer{{Type: "User", ID: f.aliceID, Login: "alice"}, {Type: "Team", ID: f.teamID, Slug: "platform"}}))

	// Branch policies.
	pol, _, err := c.Repositories.CreateDeploymentBranchPolicy(ctx, "acme", "widgets", "production", &github.DeploymentBranchPolicyRequest{Name: github.String("main")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pol.GetType()).To(Equal("branch"))
	_, _, err = c.Repositories.CreateDeploymentBranchPolicy(ctx, "acme", "widgets", "production", &github.DeploymentBranchPolicyRequest{Name: github.String("v*"), Type: github.String("tag")})
	g.Expect(err).NotTo(HaveOccurred())
	list, _, err := c.Repositories.ListDeploymentBranchPolicies(ctx, "acme", "widgets", "production")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list.GetTotalCount()).To(Equal(2))
	upd, _, err := c.Repositories.UpdateDeploymentBranchPolicy(ctx, "acme", "widgets", "production", pol.GetID(), &github.DeploymentBranchPolicyRequest{Name: github.String("release/*")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(upd.GetName()).To(Equal("release/*"))
	_, err = c.Repositories.DeleteDeploymentBranchPolicy(ctx, "acme", "widgets", "production", pol.GetID())
	g.Expect(err).NotTo(HaveOccurred())
	st, _ = f.sim.Environment("acme", "widgets", "production")
	g.Expect(st.BranchPolicies).To(HaveLen(1))
	g.Expect(st.BranchPolicies[0].Name).To(Equal("v*"))

	// go-github sends null for unset fields: they reset (reviewers removed,
	// all branches allowed, which drops the custom policies).
	_, _, err = c.Repositories.CreateUpdateEnvironment(ctx, "acme", "widgets", "production", &github.CreateUpdateEnvironment{WaitTimer: github.Int(1)})
	g.Expect(err).NotTo(HaveOccurred())
	st, _ = f.sim.Environment("acme", "widgets", "production")
	g.Expect(st.WaitTimer).To(Equal(1))
	g.Expect(st.Reviewers).To(BeEmpty())
	g.Expect(st.DeploymentBranchPolicy).To(BeNil())
	g.Expect(st.BranchPolicies).To(BeEmpty())

	// Validation errors surface as 422 ErrorResponses.
	_, resp, err := c.Repositories.CreateUpdateEnvironment(ctx, "acme", "widgets", "production", &github.CreateUpdateEnvironment{
		WaitTimer: github.Int(0), Reviewers: []*github.EnvReviewers{{Type: github.String("User"), ID: github.Int64(424242)}},
	})
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnprocessableEntity))

	envs, _, err := c.Repositories.ListEnvironments(ctx, "acme", "widgets", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(envs.GetTotalCount()).To(Equal(1))
	_, err = c.Repositories.DeleteEnvironment(ctx, "acme", "widgets", "production")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.sim.EnvironmentNames("acme", "widgets")).To(BeEmpty())
}

func TestGoGitHubEnvironmentSecrets(t *testing.T) {
	g := NewWithT(t)
	clock := newFakeClock()
	f := newFixture(t, WithClock(clock.Now), WithAdminToken("adm"))
	ctx := context.Background()
	c := ghClient(t, f.sim, tokAdmin)
	_, _, err := c.Repositories.CreateUpdateEnvironment(ctx, "acme", "widgets", "production", &github.CreateUpdateEnvironment{})
	g.Expect(err).NotTo(HaveOccurred())

	putSecret := func(name, value string) *github.Response {
		key, _, err := c.Actions.GetEnvPublicKey(ctx, int(f.widgetsID), "production")
		g.Expect(err).NotTo(HaveOccurred())
		raw, err := base64.StdEncoding.DecodeString(key.GetKey())
		g.Expect(err).NotTo(HaveOccurred())
		var pub [32]byte
		copy(pub[:], raw)
		sealed, err := box.SealAnonymous(nil, []byte(value), &pub, rand.Reader)
		g.Expect(err).NotTo(HaveOccurred())
		resp, err := c.Actions.CreateOrUpdateEnvSecret(ctx, int(f.widgetsID), "production", &github.EncryptedSecret{
			Name: name, KeyID: key.GetKeyID(), EncryptedValue: base64.StdEncoding.EncodeToString(sealed),
		})
		g.Expect(err).NotTo(HaveOccurred())
		return resp
	}
	g.Expect(putSecret("DEPLOY_TOKEN", "hunter2").StatusCode).To(Equal(http.StatusCreated))
	v, firstUpdate, ok := f.sim.SecretValue("acme", "widgets", "production", "DEPLOY_TOKEN")
	g.Expect(ok).To(BeTrue())
	g.Expect(v).To(Equal("hunter2"))

	clock.Step(time.Minute)
	g.Expect(putSecret("DEPLOY_TOKEN", "hunter3").StatusCode).To(Equal(http.StatusNoContent))
	v, secondUpdate, _ := f.sim.SecretValue("acme", "widgets", "production", "DEPLOY_TOKEN")
	g.Expect(v).To(Equal("hunter3"))
	g.Expect(secondUpdate).To(Equal(firstUpdate.Add(time.Minute)))

	// The admin HTTP API shows the decrypted value too.
	state := do(t, nil, "GET", f.sim.URL()+"_sim/state", "adm", nil)
	g.Expect(state.Status).To(Equal(http.StatusOK))
	var snap StateSnapshot
	g.Expect(json.Unmarshal(state.Body, &snap)).To(Succeed())
	var found *SecretSnapshot
	for _, r := range snap.Repos {
		for _, e := range r.Environments {
			for i, sc := range e.Secrets {
				if r.FullName == "acme/widgets" && e.Name == "production" && sc.Name == "DEPLOY_TOKEN" {
					found = &e.Secrets[i]
				}
			}
		}
	}
	g.Expect(found).NotTo(BeNil())
	g.Expect(found.Value).To(Equal("hunter3"))
	g.Expect(found.UpdatedAt).To(BeTemporally("==", secondUpdate))

	list, _, err := c.Actions.ListEnvSecrets(ctx, int(f.widgetsID), "production", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list.TotalCount).To(Equal(1))
	sec, _, err := c.Actions.GetEnvSecret(ctx, int(f.widgetsID), "production", "DEPLOY_TOKEN")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sec.UpdatedAt.Time).To(BeTemporally("~", secondUpdate, time.Second))

	// A human overwrites it; the operator can notice through updated_at.
	clock.Step(time.Minute)
	f.sim.SetSecretValue("acme", "widgets", "production", "DEPLOY_TOKEN", "tampered")
	sec, _, _ = c.Actions.GetEnvSecret(ctx, int(f.widgetsID), "production", "DEPLOY_TOKEN")
	g.Expect(sec.UpdatedAt.Time).To(BeTemporally("~", secondUpdate.Add(time.Minute), time.Second))

	// A value sealed with a rotated-away key is refused.
	key, _, _ := c.Actions.GetEnvPublicKey(ctx, int(f.widgetsID), "production")
	f.sim.RotateSecretKey("acme", "widgets", "production")
	resp, err := c.Actions.CreateOrUpdateEnvSecret(ctx, int(f.widgetsID), "production", &github.EncryptedSecret{
		Name: "X", KeyID: key.GetKeyID(), EncryptedValue: base64.StdEncoding.EncodeToString(make([]byte, 64)),
	})
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnprocessableEntity))

	_, err = c.Actions.DeleteEnvSecret(ctx, int(f.widgetsID), "production", "DEPLOY_TOKEN")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.sim.SecretNames("acme", "widgets", "production")).To(BeEmpty())
}

func TestGoGitHubRulesetsActionsContents(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	c := ghClient(t, f.sim, tokAdmin)

	rs, _, err := c.Repositories.CreateRuleset(ctx, "acme", "widgets", &github.Ruleset{
		Name: "dco", Target: github.String("branch"), Enforcement: "active",
		Conditions: &github.RulesetConditions{RefName: &github.RulesetRefConditionParameters{Include: []string{"~DEFAULT_BRANCH"}, Exclude: []string{}}},
		Rules: []*github.RepositoryRule{
			github.NewRequiredStatusChecksRule(&github.RequiredStatusChecksRuleParameters{
				RequiredStatusChecks: []github.RuleRequiredStatusChecks{{Context: "DCO"}}, StrictRequiredStatusChecksPolicy: true,
			}),
		},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.GetID()).NotTo(BeZero())
	got := f.sim.Rulesets("acme", "widgets")
	g.Expect(got).To(HaveLen(1))
	p, ok := got[0].RequiredStatusChecks()
	g.Expect(ok).To(BeTrue())
	g.Expect(p.RequiredStatusChecks).To(Equal([]StatusCheck{{Context: "DCO"}}))
	g.Expect(p.StrictRequiredStatusChecksPolicy).To(BeTrue())
	g.Expect(got[0].Conditions.RefName.Include).To(Equal([]string{"~DEFAULT_BRANCH"}))

	all, _, err := c.Repositories.GetAllRulesets(ctx, "acme", "widgets", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(all).To(HaveLen(1))
	full, _, err := c.Repositories.GetRuleset(ctx, "acme", "widgets", rs.GetID(), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(full.Rules).To(HaveLen(1))
	g.Expect(full.Rules[0].Type).To(Equal("required_status_checks"))
	_, resp, err := c.Repositories.CreateRuleset(ctx, "acme", "widgets", &github.Ruleset{Name: "DCO", Enforcement: "active"})
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnprocessableEntity))
	f.sim.DeleteRuleset("acme", "widgets", rs.GetID())
	_, resp, _ = c.Repositories.GetRuleset(ctx, "acme", "widgets", rs.GetID(), true)
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))

	// Actions permissions: go-github v60 lacks sha_pinning_required and the
	// workflow endpoint, so use NewRequest/Do as the operator must.
	perms, _, err := c.Repositories.GetActionsPermissions(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(perms.GetEnabled()).To(BeTrue())
	g.Expect(perms.GetAllowedActions()).To(Equal("all"))
	req, err := c.NewRequest("PUT", "repos/acme/widgets/actions/permissions", map[string]any{"enabled": true, "allowed_actions": "selected", "sha_pinning_required": true})
	g.Expect(err).NotTo(HaveOccurred())
	resp, err = c.Do(ctx, req, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusNoContent))
	var wf struct {
		DefaultWorkflowPermissions   string `json:"default_workflow_permissions"`
		CanApprovePullRequestReviews bool   `json:"can_approve_pull_request_reviews"`
	}
	req, _ = c.NewRequest("GET", "repos/acme/widgets/actions/permissions/workflow", nil)
	_, err = c.Do(ctx, req, &wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(wf.DefaultWorkflowPermissions).To(Equal("write"), "seeded repositories start with write")
	req, _ = c.NewRequest("PUT", "repos/acme/widgets/actions/permissions/workflow", map[string]any{"default_workflow_permissions": "read", "can_approve_pull_request_reviews": false})
	_, err = c.Do(ctx, req, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.sim.ActionsPermissions("acme", "widgets")).To(Equal(ActionsState{
		Enabled: true, AllowedActions: "selected", SHAPinningRequired: true, DefaultWorkflowPermissions: "read",
	}))

	// Contents.
	file, dir, _, err := c.Repositories.GetContents(ctx, "acme", "widgets", ".github/workflows/ci.yml", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dir).To(BeNil())
	content, err := file.GetContent()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(content).To(Equal("on: push\njobs: {}\n"))
	g.Expect(file.GetSHA()).To(Equal(gitBlobSHA([]byte(content))))
	_, dir, _, err = c.Repositories.GetContents(ctx, "acme", "widgets", ".github/workflows", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dir).To(HaveLen(2))
	g.Expect(dir[0].GetName()).To(Equal("ci.yml"))
	_, dir, _, err = c.Repositories.GetContents(ctx, "acme", "widgets", "", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dir).To(HaveLen(2)) // .github and README.md
	g.Expect(dir[0].GetType()).To(Equal("dir"))
	_, _, resp, err = c.Repositories.GetContents(ctx, "acme", "widgets", "nope.yml", nil)
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
}

func TestGoGitHubConditionalRequestsAndRateLimits(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, WithPrimaryRateLimit(5))
	ctx := context.Background()
	c := ghClient(t, f.sim, tokAdmin)

	req, _ := c.NewRequest("GET", "repos/acme/widgets/environments", nil)
	resp, err := c.Do(ctx, req, nil)
	g.Expect(err).NotTo(HaveOccurred())
	etag := resp.Header.Get("ETag")
	g.Expect(etag).To(HavePrefix(`W/"`))
	g.Expect(resp.Rate.Remaining).To(Equal(4))

	req, _ = c.NewRequest("GET", "repos/acme/widgets/environments", nil)
	req.Header.Set("If-None-Match", etag)
	resp, _ = c.Do(ctx, req, nil) // go-github reports a 304 as an error; the status is what matters
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotModified))
	g.Expect(resp.Rate.Remaining).To(Equal(4), "a 304 does not count against the primary budget")

	// A change makes the ETag change.
	_, _, err = c.Repositories.CreateUpdateEnvironment(ctx, "acme", "widgets", "qa", &github.CreateUpdateEnvironment{})
	g.Expect(err).NotTo(HaveOccurred())
	req, _ = c.NewRequest("GET", "repos/acme/widgets/environments", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = c.Do(ctx, req, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Header.Get("ETag")).NotTo(Equal(etag))

	// Exhaust the budget of 5.
	for resp.Rate.Remaining > 0 {
		_, resp, err = c.Repositories.Get(ctx, "acme", "widgets")
		g.Expect(err).NotTo(HaveOccurred())
	}
	// go-github now refuses locally until the reset; a fresh client asks
	// the server, which answers 403 with x-ratelimit-remaining: 0.
	_, _, err = ghClient(t, f.sim, tokAdmin).Repositories.Get(ctx, "acme", "widgets")
	var rle *github.RateLimitError
	g.Expect(errors.As(err, &rle)).To(BeTrue(), "got %v", err)
	g.Expect(rle.Response.StatusCode).To(Equal(http.StatusForbidden))
	g.Expect(rle.Message).To(HavePrefix("API rate limit exceeded"))
	g.Expect(rle.Rate.Remaining).To(Equal(0))

	// Other tokens have their own budget; secondary limit faults surface as
	// AbuseRateLimitError with the retry-after.
	f.sim.AddToken("ghp_other", "acme/widgets")
	other := ghClient(t, f.sim, "ghp_other")
	f.sim.SetFault("GET /repos/{owner}/{repo}", Fault{SecondaryRateLimit: true, RetryAfter: 7, Count: 1})
	_, _, err = other.Repositories.Get(ctx, "acme", "widgets")
	var arle *github.AbuseRateLimitError
	g.Expect(errors.As(err, &arle)).To(BeTrue(), "got %v", err)
	g.Expect(arle.GetRetryAfter()).To(Equal(7 * time.Second))
	// go-github would now wait out the retry-after locally; a fresh client
	// shows the fault applied only once.
	_, _, err = ghClient(t, f.sim, "ghp_other").Repositories.Get(ctx, "acme", "widgets")
	g.Expect(err).NotTo(HaveOccurred(), "the fault applied once")
}

func TestGoGitHubAppInstallation(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	ctx := context.Background()
	_, pub, priv := appKey(t)
	f.sim.AddApp(123, pub)
	f.sim.AddInstallation(123, 456, "acme/gadgets")

	itr, err := ghinstallation.New(http.DefaultTransport, 123, 456, priv)
	g.Expect(err).NotTo(HaveOccurred())
	itr.BaseURL = strings.TrimSuffix(f.sim.URL(), "/")
	c := github.NewClient(&http.Client{Transport: itr})
	c.BaseURL, _ = url.Parse(f.sim.URL())

	repo, _, err := c.Repositories.Get(ctx, "acme", "gadgets")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(repo.GetID()).To(Equal(f.gadgetsID))
	_, resp, err := c.Repositories.Get(ctx, "acme", "widgets")
	g.Expect(err).To(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), "the installation cannot see widgets")

	tok, err := itr.Token(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tok).To(HavePrefix("ghs_"))
	var used []string
	for _, r := range f.sim.Requests() {
		used = append(used, r.Route)
	}
	g.Expect(used).To(ContainElement("POST /app/installations/{installation_id}/access_tokens"))

	// A wrong key is refused.
	_, _, otherPriv := appKey(t)
	bad, err := ghinstallation.New(http.DefaultTransport, 123, 456, otherPriv)
	g.Expect(err).NotTo(HaveOccurred())
	bad.BaseURL = itr.BaseURL
	_, err = bad.Token(ctx)
	g.Expect(err).To(HaveOccurred())
}

func TestInstallationTokenExpires(t *testing.T) {
	g := NewWithT(t)
	clock := newFakeClock()
	f := newFixture(t, WithClock(clock.Now), WithInstallationTokenTTL(10*time.Minute))
	key, pub, _ := appKey(t)
	f.sim.AddApp(5, pub)
	f.sim.AddInstallation(5, 50, "*")
	resp := do(t, nil, "POST", f.sim.URL()+"app/installations/50/access_tokens", appJWT(t, key, 5, clock.Now(), 5*time.Minute), nil)
	g.Expect(resp.Status).To(Equal(http.StatusCreated))
	tok := resp.JSON()["token"].(string)
	exp, err := time.Parse(time.RFC3339, resp.JSON()["expires_at"].(string))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(exp).To(BeTemporally("~", clock.Now().Add(10*time.Minute), time.Second))
	g.Expect(resp.JSON()["repository_selection"]).To(Equal("all"))

	g.Expect(do(t, nil, "GET", f.sim.URL()+"repos/acme/gadgets", tok, nil).Status).To(Equal(http.StatusOK))
	clock.Step(11 * time.Minute)
	r := do(t, nil, "GET", f.sim.URL()+"repos/acme/gadgets", tok, nil)
	g.Expect(r.Status).To(Equal(http.StatusUnauthorized))
	g.Expect(r.JSON()["message"]).To(Equal("Bad credentials"))
}
