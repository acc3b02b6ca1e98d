package validation

import "testing"

// TestValidationEnvironmentNames: GitHub compares environment names case-insensitively ("Environment names
// are not case sensitive", GitHub's "Managing environments for deployment"), so two entries that differ
// only in case are one environment on GitHub, and a production credential must never sit in an
// environment whose name could pass for another one.
func TestValidationEnvironmentNames(t *testing.T) {
	runCases(t, []validationCase{
		{name: "two environments differing only in case", mutate: func(o map[string]any) {
			set(o, "spec.environments", append(environments(2), map[string]any{"name": "Production"}))
		}, refused: []string{"spec.environments", "unique case-insensitively"}},
		{name: "CI and ci", mutate: func(o map[string]any) {
			set(o, "spec.environments", append(environments(2), map[string]any{"name": "CI"}))
		}, refused: []string{"spec.environments", "unique case-insensitively"}},
		{name: "registry naming its environment in another case", mutate: func(o map[string]any) {
			set(o, "spec.registries.1.environment", "PRODUCTION")
		}},
		{name: "production environment with a Cyrillic o", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.name", "prоduction")
			set(o, "spec.registries.1.environment", "prоduction")
		}, refused: []string{"spec.registries", "plain ASCII"}},
		{name: "production environment with a zero-width space", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.name", "produc\u200btion")
			set(o, "spec.registries.1.environment", "produc\u200btion")
		}, refused: []string{"spec.registries", "plain ASCII"}},
		{name: "production environment with a fullwidth letter", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.name", "ｐroduction")
			set(o, "spec.registries.1.environment", "ｐroduction")
		}, refused: []string{"spec.registries", "plain ASCII"}},
		{name: "development environment with a non-ASCII name", mutate: func(o map[string]any) {
			set(o, "spec.environments.0.name", "cі")
			set(o, "spec.registries.0.environment", "cі")
		}},
	})
}

// TestValidationAdminBypass: an environment holding production credentials cannot let repository
// administrators (or the person who triggered the deployment) skip the approval.
func TestValidationAdminBypass(t *testing.T) {
	runCases(t, []validationCase{
		{name: "allowAdminBypass true on the production environment", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.allowAdminBypass", true)
		}, refused: []string{"spec.environments", "allowAdminBypass: true"}},
		{name: "allowAdminBypass true on the production environment named in another case", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.allowAdminBypass", true)
			set(o, "spec.registries.1.environment", "Production")
		}, refused: []string{"spec.environments", "allowAdminBypass: true"}},
		{name: "allowAdminBypass false on the production environment", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.allowAdminBypass", false)
		}},
		{name: "allowAdminBypass true on ci", mutate: func(o map[string]any) { set(o, "spec.environments.0.allowAdminBypass", true) }},
		{name: "preventSelfReview false on the production environment", mutate: func(o map[string]any) {
			set(o, "spec.environments.1.preventSelfReview", false)
		}, refused: []string{"spec.environments", "preventSelfReview: false"}},
		{name: "acceptUnenforcedAdminBypass", mutate: func(o map[string]any) { set(o, "spec.github.acceptUnenforcedAdminBypass", true) }},
	})
}
