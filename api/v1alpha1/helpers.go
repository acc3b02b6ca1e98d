package v1alpha1

import (
	"strings"
	"time"
)

// DefaultWorkflowAuditInterval is used when spec.workflowAudit.interval is unset.
const DefaultWorkflowAuditInterval = time.Hour

// EffectiveSecretNames returns the GitHub secret names the registry's username and password are stored
// under: spec.secretNames where set, else names derived from the registry's name
// ("prod-registry" → PROD_REGISTRY_USERNAME, PROD_REGISTRY_PASSWORD). The CRD's CEL rules derive
// the same names; keep the two in step.
func (r *Registry) EffectiveSecretNames() (username, password string) {
	base := strings.ToUpper(strings.ReplaceAll(r.Name, "-", "_"))
	username, password = base+"_USERNAME", base+"_PASSWORD"
	if r.SecretNames != nil {
		if r.SecretNames.Username != "" {
			username = r.SecretNames.Username
		}
		if r.SecretNames.Password != "" {
			password = r.SecretNames.Password
		}
	}
	return username, password
}

// RepositoryFullName is "owner/name".
func (p *SecurePipeline) RepositoryFullName() string {
	return p.Spec.Repository.Owner + "/" + p.Spec.Repository.Name
}

// AuditEnabled says whether the workflow audit runs (on unless explicitly disabled).
func (w *WorkflowAudit) AuditEnabled() bool { return w.Enabled == nil || *w.Enabled }

// AuditInterval is the time between audits.
func (w *WorkflowAudit) AuditInterval() time.Duration {
	if w.Interval == nil || w.Interval.Duration <= 0 {
		return DefaultWorkflowAuditInterval
	}
	return w.Interval.Duration
}

// SelfReviewPrevented says whether the environment forbids self-review (on unless explicitly disabled).
func (e *Environment) SelfReviewPrevented() bool {
	return e.PreventSelfReview == nil || *e.PreventSelfReview
}

// WebCommitSignoffRequired says whether web commits must be signed off while DCO is enforced.
func (d *DCO) WebCommitSignoffRequired() bool {
	return d.RequireWebCommitSignoff == nil || *d.RequireWebCommitSignoff
}

// EnvironmentIndex returns the index of the spec's environment of that name, compared as GitHub compares
// environment names (case-insensitively), or -1.
func (s *SecurePipelineSpec) EnvironmentIndex(name string) int {
	for i := range s.Environments {
		if strings.EqualFold(s.Environments[i].Name, name) {
			return i
		}
	}
	return -1
}

// EnvironmentByName returns the spec's environment of that name (case-insensitively), or nil.
func (s *SecurePipelineSpec) EnvironmentByName(name string) *Environment {
	if i := s.EnvironmentIndex(name); i >= 0 {
		return &s.Environments[i]
	}
	return nil
}

// HoldsProductionCredentials says whether a production-tier registry pushes to the named environment.
func (s *SecurePipelineSpec) HoldsProductionCredentials(env string) bool {
	for _, r := range s.Registries {
		if r.Tier == RegistryTierProduction && strings.EqualFold(r.Environment, env) {
			return true
		}
	}
	return false
}
