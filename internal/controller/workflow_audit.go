package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/audit"
	githubapi "github.com/secure-pipeline/operator/internal/github"
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
// Acknowledged and exempted SP002 findings count: GitHub's setting would break those workflows all the
// same.
func (a *auditResult) unpinnedFiles() []string {
	var files []string
	for _, f := range a.findings {
		if f.Rule == "SP002" && !slices.Contains(files, f.File) {
			files = append(files, f.File)
		}
	}
	return files
}

// reconcileWorkflowAudit audits the repository's workflows, and what they run inside it, against the
// secure-pipeline rules every spec.workflowAudit.interval and on every spec change. The git tree is read
// through the ETag cache and blobs are kept by sha, so auditing an unchanged repository costs one
// conditional request and no rate limit.
func (r *SecurePipelineReconciler) reconcileWorkflowAudit(ctx context.Context, s *pipelineState) error {
	p := s.p
	wa := p.Spec.WorkflowAudit
	if !wa.AuditEnabled() {
		r.forgetAudit(p)
		p.Status.Findings, p.Status.OmittedFindings, p.Status.LastAuditTime = nil, 0, nil
		p.Status.SuppressedFindings, p.Status.Publishing, p.Status.PublishingCount = 0, nil, 0
		setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.AuditDisabledReason,
			"the workflow audit is disabled (spec.workflowAudit.enabled: false)")
		return nil
	}

	now := r.Now()
	prev := r.lastAudit(p)
	if prev != nil && prev.generation == p.Generation && now.Before(prev.at.Add(wa.AuditInterval())) && auditInStatus(p, prev) {
		s.audit = prev
		s.wantRequeue(prev.at.Add(wa.AuditInterval()).Sub(now))
		return nil
	}

	res, err := r.auditRepository(ctx, s)
	if err != nil {
		return err
	}
	findings := res.Findings
	active := audit.Active(findings)
	files := len(res.Files)
	ar := &auditResult{findings: findings, files: files, at: now, generation: p.Generation}
	r.rememberAudit(p, ar)
	s.audit = ar
	s.wantRequeue(wa.AuditInterval())

	if fresh := newFindings(p.Status.Findings, active); fresh > 0 {
		r.event(p, corev1.EventTypeWarning, "WorkflowFindings", "Audit",
			"the workflow audit of %s found %d new finding(s); first: %s", p.RepositoryFullName(), fresh, describe(active[0]))
	}
	p.Status.Findings, p.Status.OmittedFindings = statusFindings(active)
	p.Status.SuppressedFindings = int32(len(findings) - len(active))
	p.Status.Publishing, p.Status.PublishingCount = statusPublishing(res.Inventory)
	t := metav1.NewTime(now)
	p.Status.LastAuditTime = &t

	acknowledged := ""
	if n := len(findings) - len(active); n > 0 {
		acknowledged = fmt.Sprintf(" (%d acknowledged)", n)
	}
	if len(active) == 0 {
		setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionTrue, civ1alpha1.SucceededReason,
			fmt.Sprintf("%d workflow file(s) audited, no findings%s", files, acknowledged))
		return nil
	}
	setCondition(p, civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason,
		fmt.Sprintf("%d finding(s)%s in %d workflow file(s); first: %s", len(active), acknowledged, files, describe(active[0])))
	return nil
}

// auditInStatus says whether p's status shows the remembered audit. It does not when the status write of
// the run that made it was lost (an optimistic-lock conflict runs again from the stored object), or when a
// failure of the whole pipeline (a revoked token) has since replaced WorkflowsCompliant: then the audit
// runs again (a conditional read of the tree, blobs kept by sha) instead of leaving the condition missing
// (and Ready Unknown) or telling of the old failure until the next interval.
func auditInStatus(p *civ1alpha1.SecurePipeline, a *auditResult) bool {
	c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.WorkflowsCompliantCondition)
	return c != nil && c.ObservedGeneration == p.Generation &&
		(c.Reason == civ1alpha1.SucceededReason || c.Reason == civ1alpha1.FindingsReason) &&
		p.Status.LastAuditTime != nil && p.Status.LastAuditTime.Unix() >= a.at.Unix()
}

// auditRepository audits the default branch: its git tree (one request, a 304 when unchanged) and the
// blobs the audit opens (each fetched once, then kept by sha).
func (r *SecurePipelineReconciler) auditRepository(ctx context.Context, s *pipelineState) (audit.Result, error) {
	p := s.p
	owner, name := p.Spec.Repository.Owner, p.Spec.Repository.Name
	branch := "HEAD"
	if s.repo != nil && s.repo.DefaultBranch != "" {
		branch = s.repo.DefaultBranch
	}
	tree, err := s.gh.GitTree(ctx, owner, name, branch, true)
	switch {
	case githubapi.IsNotFound(err) || githubapi.IsConflict(err):
		return audit.Result{}, nil // an empty repository (GitHub answers 409) has no workflows
	case err != nil:
		return audit.Result{}, classify(err, "reading the git tree of "+p.RepositoryFullName())
	}
	// Blobs are facts about a repository on a server: cached by the canonical server, as reviewer ids are.
	fsys := newTreeFS(ctx, s.gh, s.server.String(), owner, name, tree, r.blobCache())
	res := audit.AuditRepository(fsys, audit.Options{Disabled: p.Spec.WorkflowAudit.DisabledRules, Ignore: auditIgnores(p)})
	if fsys.err != nil {
		// A blob could not be read: retry rather than report an audit of part of the repository.
		return audit.Result{}, classify(fsys.err, "reading the workflows of "+p.RepositoryFullName())
	}
	if tree.Truncated {
		// GitHub lists at most 100,000 entries (7 MB): say so rather than audit in silence.
		res.Findings = append(res.Findings, audit.Finding{File: ".", Rule: "SP012", Name: "reference-not-followed",
			Severity: audit.SeverityNote, Message: "GitHub truncated the git tree of " + branch +
				" (too many files); files missing from it are not followed [limit: tree-truncated]"})
	}
	// Workflows the audit refused to read (over the size limit, a link out of the tree) are findings.
	for _, e := range res.Errors {
		res.Findings = append(res.Findings, audit.Finding{File: e.Path, Rule: "SP000", Name: "parse-error",
			Severity: audit.SeverityError, Message: "the workflow cannot be audited: " + e.Err.Error()})
	}
	return res, nil
}

func auditIgnores(p *civ1alpha1.SecurePipeline) []audit.Ignore {
	out := make([]audit.Ignore, 0, len(p.Spec.WorkflowAudit.Ignore))
	for _, ig := range p.Spec.WorkflowAudit.Ignore {
		out = append(out, audit.Ignore{Rule: ig.Rule, Path: ig.Path, Job: ig.Job, Action: ig.Action, Reason: ig.Reason})
	}
	return out
}

func (r *SecurePipelineReconciler) blobCache() *blobCache {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.blobs == nil {
		r.blobs = newBlobCache(defaultBlobCacheBytes)
	}
	return r.blobs
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

// maxStatusPublishing bounds status.publishing; status.publishingCount has the total.
const (
	maxStatusPublishing = 20
	maxStatusListItems  = 10
	maxStatusString     = 512
)

// statusPublishing summarises the inventory: image publishers first, then release artefacts.
func statusPublishing(inv []audit.Publication) ([]civ1alpha1.PublishingJob, int32) {
	sorted := slices.Clone(inv)
	slices.SortStableFunc(sorted, func(a, b audit.Publication) int {
		return boolRank(a.Kind != audit.KindImage) - boolRank(b.Kind != audit.KindImage)
	})
	out := make([]civ1alpha1.PublishingJob, 0, min(len(sorted), maxStatusPublishing))
	for _, pub := range sorted[:min(len(sorted), maxStatusPublishing)] {
		out = append(out, civ1alpha1.PublishingJob{
			Workflow: clip(pub.Workflow), Job: clip(pub.Job), Kind: pub.Kind, Mechanism: clip(pub.Mechanism),
			Images: clipList(pub.Images), Signing: pub.Signing, SBOM: pub.SBOM, SBOMKind: pub.SBOMKind,
			Evidence: clipList(pub.Evidence),
		})
	}
	if len(out) == 0 {
		out = nil
	}
	return out, int32(len(inv))
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func clip(s string) string {
	if len(s) > maxStatusString {
		return s[:maxStatusString]
	}
	return s
}

func clipList(ss []string) []string {
	out := make([]string, 0, min(len(ss), maxStatusListItems))
	for _, s := range ss[:min(len(ss), maxStatusListItems)] {
		out = append(out, clip(s))
	}
	return out
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
