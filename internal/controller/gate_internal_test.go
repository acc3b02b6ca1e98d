package controller

import (
	"testing"

	. "github.com/onsi/gomega"

	githubapi "github.com/secure-pipeline/operator/internal/github"
)

func TestGateProblems(t *testing.T) {
	reviewers := []githubapi.Reviewer{{Type: githubapi.ReviewerUser, ID: 1}}
	env := func(rv []githubapi.Reviewer, selfReview bool, bypass *bool) *githubapi.Environment {
		return &githubapi.Environment{EnvironmentSettings: githubapi.EnvironmentSettings{Reviewers: rv, PreventSelfReview: selfReview, CanAdminsBypass: bypass}}
	}
	cases := []struct {
		name        string
		have        *githubapi.Environment
		problems    []string
		unsupported bool
	}{
		{name: "gated", have: env(reviewers, true, new(false))},
		{name: "no reviewers", have: env(nil, false, new(false)), problems: []string{"has no required reviewers on GitHub"}},
		{name: "self-review allowed", have: env(reviewers, false, new(false)), problems: []string{"prevent_self_review is off"}},
		{name: "admins may bypass", have: env(reviewers, true, new(true)), problems: []string{"can_admins_bypass is on"}},
		{name: "everything off", have: env(nil, false, new(true)), problems: []string{"no required reviewers", "can_admins_bypass is on"}},
		{name: "server without the setting", have: env(reviewers, true, nil), unsupported: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			problems, unsupported := gateProblems(tc.have)
			g.Expect(unsupported).To(Equal(tc.unsupported))
			g.Expect(problems).To(HaveLen(len(tc.problems)))
			for i, want := range tc.problems {
				g.Expect(problems[i]).To(ContainSubstring(want))
			}
		})
	}
}

func TestEnvironmentDriftOfAdminBypass(t *testing.T) {
	g := NewWithT(t)
	want := githubapi.EnvironmentSettings{CanAdminsBypass: new(false)}
	g.Expect(environmentDrift(githubapi.EnvironmentSettings{CanAdminsBypass: new(true)}, want, false)).To(ConsistOf("can_admins_bypass"))
	g.Expect(environmentDrift(githubapi.EnvironmentSettings{CanAdminsBypass: new(false)}, want, false)).To(BeEmpty())
	g.Expect(environmentDrift(githubapi.EnvironmentSettings{}, want, false)).To(ConsistOf("can_admins_bypass"), "unsupported and not accepted: the write says so")
	g.Expect(environmentDrift(githubapi.EnvironmentSettings{}, want, true)).To(BeEmpty(), "unsupported and accepted: nothing to write")
	g.Expect(environmentDrift(githubapi.EnvironmentSettings{CanAdminsBypass: new(true)}, githubapi.EnvironmentSettings{}, false)).To(BeEmpty(),
		"an environment the spec says nothing about keeps GitHub's value")
}
