package controller

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// Environment names as GitHub compares them. GitHub's documentation ("Managing environments for
// deployment") says environment names are not case sensitive: "production" and "Production" are one
// environment, so two spec entries that differ only in case would rewrite each other's protection rules
// on every resync. Admission refuses such a spec (a CEL rule on spec.environments), but only for objects
// written after the rule existed; checkEnvironmentNames refuses the ones stored before, with the same
// message, before anything is written to GitHub.
//
// Look-alikes (a Cyrillic "о", a zero-width space, a fullwidth letter) are names GitHub keeps apart but a
// human reading the spec or GitHub's pages does not. In an environment that holds production-tier
// credentials they are refused (admission restricts such names to plain ASCII; checkEnvironmentNames
// again for stored objects); elsewhere they are reported as a note.

// caseDuplicateMessage is the CEL rule's message on spec.environments; keep the two in step.
const caseDuplicateMessage = "environment names must be unique case-insensitively: GitHub treats names that differ only in case (e.g. production and Production) as one environment"

// safeProductionName is what admission allows as the name of an environment holding production-tier
// credentials; keep in step with the CEL rule on spec.registries.
var safeProductionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// nameCheck is what checkEnvironmentNames found.
type nameCheck struct {
	// refusal, if set, is why the spec cannot be reconciled (stalling).
	refusal error
	// notes are look-alike names outside production environments, for a Warning event and the
	// EnvironmentsReady condition.
	notes []string
}

// checkEnvironmentNames checks spec.environments and the registries' references to them as GitHub
// compares names.
func checkEnvironmentNames(spec *civ1alpha1.SecurePipelineSpec) nameCheck {
	var out nameCheck
	for i := range spec.Environments {
		for j := range i {
			if strings.EqualFold(spec.Environments[i].Name, spec.Environments[j].Name) {
				out.refusal = stalling(civ1alpha1.InvalidSpecReason, "spec.environments: %s: spec.environments[%d] (%q) and spec.environments[%d] (%q); rename or merge them",
					caseDuplicateMessage, j, spec.Environments[j].Name, i, spec.Environments[i].Name)
				return out
			}
		}
	}
	for i, reg := range spec.Registries {
		if spec.EnvironmentIndex(reg.Environment) < 0 {
			out.refusal = stalling(civ1alpha1.InvalidSpecReason, "spec.registries[%d].environment: %q must name an entry of spec.environments", i, reg.Environment)
			return out
		}
	}
	for i, env := range spec.Environments {
		why := lookAlike(env.Name)
		switch {
		case spec.HoldsProductionCredentials(env.Name) && (why != "" || !safeProductionName.MatchString(env.Name)):
			if why == "" {
				why = "characters other than letters, digits, '.', '_' and '-'"
			}
			out.refusal = stalling(civ1alpha1.EnvironmentNameUnsafeReason,
				"spec.environments[%d]: environment %q holds production-tier credentials but its name has %s, so it could pass for another name: use plain ASCII letters, digits, '.', '_' and '-'",
				i, env.Name, why)
			return out
		case why != "":
			out.notes = append(out.notes, fmt.Sprintf("environment %q (spec.environments[%d]) has %s, so it may look like another name", env.Name, i, why))
		}
	}
	return out
}

// lookAlike says what makes a name one a reader could mistake for another, or "".
func lookAlike(name string) string {
	var problems []string
	for _, r := range name {
		if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || (unicode.IsSpace(r) && r != ' ') {
			problems = append(problems, fmt.Sprintf("an invisible or combining character (U+%04X)", r))
			break
		}
	}
	if norm.NFKC.String(name) != name {
		problems = append(problems, "characters that Unicode compatibility normalisation (NFKC) changes")
	}
	for _, r := range name {
		if r > unicode.MaxASCII {
			problems = append(problems, fmt.Sprintf("non-ASCII characters (U+%04X)", r))
			break
		}
	}
	return strings.Join(problems, ", ")
}
