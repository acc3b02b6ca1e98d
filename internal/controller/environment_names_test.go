package controller

import (
	"testing"

	. "github.com/onsi/gomega"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

func TestCheckEnvironmentNames(t *testing.T) {
	envs := func(names ...string) []civ1alpha1.Environment {
		var out []civ1alpha1.Environment
		for _, n := range names {
			out = append(out, civ1alpha1.Environment{Name: n, Reviewers: []civ1alpha1.Reviewer{{User: "alice"}}})
		}
		return out
	}
	prod := func(env string) []civ1alpha1.Registry {
		return []civ1alpha1.Registry{{Name: "prod", Environment: env, Tier: civ1alpha1.RegistryTierProduction}}
	}
	dev := func(env string) []civ1alpha1.Registry {
		return []civ1alpha1.Registry{{Name: "dev", Environment: env, Tier: civ1alpha1.RegistryTierDevelopment}}
	}
	cases := []struct {
		name       string
		spec       civ1alpha1.SecurePipelineSpec
		reason     string
		refusal    []string
		notes      int
		noteSubstr string
	}{
		{name: "distinct names", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("ci", "production"), Registries: prod("production")}},
		{name: "case duplicates", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("ci", "production", "Production")},
			reason: civ1alpha1.InvalidSpecReason, refusal: []string{caseDuplicateMessage, `spec.environments[1] ("production") and spec.environments[2] ("Production")`}},
		{name: "case duplicates beyond ASCII", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("ÉTÉ", "été")},
			reason: civ1alpha1.InvalidSpecReason, refusal: []string{caseDuplicateMessage}},
		{name: "registry naming its environment in another case", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("production"), Registries: prod("PRODUCTION")}},
		{name: "registry naming no environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("production"), Registries: prod("staging")},
			reason: civ1alpha1.InvalidSpecReason, refusal: []string{"spec.registries[0].environment", `"staging"`}},
		{name: "Cyrillic o in a production environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("ci", "prоduction"), Registries: prod("prоduction")},
			reason: civ1alpha1.EnvironmentNameUnsafeReason, refusal: []string{"spec.environments[1]", "production-tier", "U+043E"}},
		{name: "zero-width space in a production environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("produc\u200btion"), Registries: prod("produc\u200btion")},
			reason: civ1alpha1.EnvironmentNameUnsafeReason, refusal: []string{"invisible", "U+200B"}},
		{name: "fullwidth letter in a production environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("ｐroduction"), Registries: prod("ｐroduction")},
			reason: civ1alpha1.EnvironmentNameUnsafeReason, refusal: []string{"NFKC"}},
		{name: "space in a production environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("prod env"), Registries: prod("prod env")},
			reason: civ1alpha1.EnvironmentNameUnsafeReason, refusal: []string{"other than letters, digits"}},
		{name: "look-alike development environment", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("cі", "production"), Registries: dev("cі")},
			notes: 1, noteSubstr: `environment "cі" (spec.environments[0]) has non-ASCII characters (U+0456)`},
		{name: "zero-width joiner in an environment without registries", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("qa\u200d")},
			notes: 1, noteSubstr: "U+200D"},
		{name: "accented name is only a note", spec: civ1alpha1.SecurePipelineSpec{Environments: envs("préprod")}, notes: 1, noteSubstr: "U+00E9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := checkEnvironmentNames(&tc.spec)
			if tc.reason == "" {
				g.Expect(got.refusal).NotTo(HaveOccurred())
			} else {
				st, ok := asStalling(got.refusal)
				g.Expect(ok).To(BeTrue(), "not refused: %v", got.refusal)
				g.Expect(st.reason).To(Equal(tc.reason))
				for _, want := range tc.refusal {
					g.Expect(st.msg).To(ContainSubstring(want))
				}
			}
			g.Expect(got.notes).To(HaveLen(tc.notes))
			if tc.noteSubstr != "" {
				g.Expect(got.notes[0]).To(ContainSubstring(tc.noteSubstr))
			}
		})
	}
}
