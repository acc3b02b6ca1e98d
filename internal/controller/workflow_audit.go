package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/audit"
)

// maxStatusFindings bounds the findings kept in status; the rest are counted.
const maxStatusFindings = 50

// auditResult is a pipeline's last workflow audit, kept in memory: status holds at most 50 findings,
// while SHA pinning needs to know about every unpinned action.
type auditResult struct {
	findings   []audit.Finding
	files      int
	at         time.Time
	generation int64
}

// unpinnedFiles lists the workflows with an unpinned action (SP002), which hold back SHA pinning.
func (a *auditResult) unpinnedFiles() []string {
	var files []string
	for _, f := range a.findings {
		if f.Rule == "SP002" && !slices.Contains(files, f.File) {
			files = append(files, f.File)
		}
	}
	return files
}

// reconcileWorkflowAudit audits .github/workflows against the secure-pipeline rules every
// spec.workflowAudit.interval and on every spec change. The contents API is read through the ETag cache,
// so auditing an unchanged repository costs no rate limit.
func (r *SecurePipelineReconciler) reconcileWorkflowAudit(ctx context.Context, s *pipelineState) error {
	p := s.p
	wa := p.Spec.WorkflowAudit
	if !wa.AuditEnabled() {
		r.forgetAudit(p)
		p.Status.Findings, p.Status.OmittedFindings, p.Status.LastAuditTime = nil, 0, nil
		setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.AuditDisabledReason,
			"the workflow audit is disabled (spec.workflowAudit.enabled: false)")
		return nil
	}

	now := r.Now()
	prev := r.lastAudit(p)
	if prev != nil && prev.generation == p.Generation && now.Before(prev.at.Add(wa.AuditInterval())) {
		s.audit = prev
		s.wantRequeue(prev.at.Add(wa.AuditInterval()).Sub(now))
		return nil
	}

	files, err := s.gh.WorkflowFiles(ctx, p.Spec.Repository.Owner, p.Spec.Repository.Name)
	if err != nil {
		return classify(err, "reading the workflows of "+p.RepositoryFullName())
	}
	findings := audit.AuditFiles(files, audit.Options{Disabled: wa.DisabledRules})
	res := &auditResult{findings: findings, files: len(files), at: now, generation: p.Generation}
	r.rememberAudit(p, res)
	s.audit = res
	s.wantRequeue(wa.AuditInterval())

	if fresh := newFindings(p.Status.Findings, findings); fresh > 0 {
		r.event(p, corev1.EventTypeWarning, "WorkflowFindings", "Audit",
			"the workflow audit of %s found %d new finding(s); first: %s", p.RepositoryFullName(), fresh, describe(findings[0]))
	}
	p.Status.Findings, p.Status.OmittedFindings = statusFindings(findings)
	t := metav1.NewTime(now)
	p.Status.LastAuditTime = &t

	if len(findings) == 0 {
		setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason,
			fmt.Sprintf("%d workflow file(s) audited, no findings", len(files)))
		return nil
	}
	setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason,
		fmt.Sprintf("%d finding(s) in %d workflow file(s); first: %s", len(findings), len(files), describe(findings[0])))
	return nil
}

func describe(f audit.Finding) string {
	return fmt.Sprintf("%s:%d:%d: %s %s: %s", f.File, f.Line, f.Column, f.Rule, f.Name, f.Message)
}

func statusFindings(fs []audit.Finding) ([]civ1alpha1.Finding, int32) {
	out := make([]civ1alpha1.Finding, 0, min(len(fs), maxStatusFindings))
	for _, f := range fs[:min(len(fs), maxStatusFindings)] {
		out = append(out, civ1alpha1.Finding{
			File: f.File, Line: int32(f.Line), Column: int32(f.Column), Rule: f.Rule,
			Severity: string(f.Severity), Message: f.Message,
		})
	}
	if len(out) == 0 {
		out = nil
	}
	return out, int32(max(len(fs)-maxStatusFindings, 0))
}

// newFindings counts findings that were not in the previous status (by file, rule and message).
func newFindings(prev []civ1alpha1.Finding, now []audit.Finding) int {
	seen := map[string]bool{}
	for _, f := range prev {
		seen[f.File+"\x00"+f.Rule+"\x00"+f.Message] = true
	}
	n := 0
	for _, f := range now {
		if !seen[f.File+"\x00"+f.Rule+"\x00"+f.Message] {
			n++
		}
	}
	return n
}

func (r *SecurePipelineReconciler) lastAudit(p *civ1alpha1.SecurePipeline) *auditResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.audits[p.UID]
}

func (r *SecurePipelineReconciler) rememberAudit(p *civ1alpha1.SecurePipeline, a *auditResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audits[p.UID] = a
}

func (r *SecurePipelineReconciler) forgetAudit(p *civ1alpha1.SecurePipeline) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.audits, p.UID)
}
