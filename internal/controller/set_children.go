package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/fleet"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// setRun is what one reconcile of one set found and did, for summarizeSet.
type setRun struct {
	set     *civ1alpha1.SecurePipelineSet
	listing *setListing
	// err is the set's own failure (listing, credentials, selector); children's failures are in members.
	err error
	// synced is true once the children were compared with the selection.
	synced  bool
	matched int
	ready   int
	// elsewhere counts matched repositories another pipeline manages (not a failure of the set).
	elsewhere int
	// progressing is true while a child has not reported on its current generation.
	progressing bool
	members     []civ1alpha1.SetMember
	plan        []civ1alpha1.PlannedChange
}

func (run *setRun) member(repo, pipeline, reason, msg string) {
	run.members = append(run.members, civ1alpha1.SetMember{Repository: repo, Pipeline: pipeline, Reason: reason, Message: truncate(msg)})
}

// children are the set's pipelines: those it controls by owner reference, found in its namespace. The
// label is for humans and selectors; the owner reference's UID is what counts, so a hand-written pipeline
// given the label is never taken over.
//
// They are the informer cache's own objects, not copies: a set is reconciled whenever a child changes,
// and copying a thousand children each time was most of what a 1,000-repository manager allocated. Read
// them; copy one (DeepCopy) before changing it.
func (r *SecurePipelineSetReconciler) children(ctx context.Context, set *civ1alpha1.SecurePipelineSet) ([]*civ1alpha1.SecurePipeline, error) {
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.InNamespace(set.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the SecurePipelines of SecurePipelineSet %s/%s: %w", set.Namespace, set.Name, err)
	}
	var out []*civ1alpha1.SecurePipeline
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], set) {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// syncChildren creates, updates and deletes children so that each selected repository has one made from
// the template, or, while the set is suspended, records that as a plan.
func (r *SecurePipelineSetReconciler) syncChildren(ctx context.Context, run *setRun) error {
	set := run.set
	selected := fleet.Select(&set.Spec.Selector, run.listing.repos, run.listing.props)
	run.matched = len(selected)
	children, err := r.children(ctx, set)
	if err != nil {
		return err
	}
	byName := map[string]*civ1alpha1.SecurePipeline{}
	for _, c := range children {
		if c.Annotations[civ1alpha1.DetachAnnotation] == "true" {
			if err := r.detach(ctx, set, c); err != nil {
				return err
			}
			continue
		}
		byName[c.Name] = c
	}

	wanted := map[string]bool{}
	for _, repo := range selected {
		name := fleet.ChildName(repo.Name)
		if wanted[name] {
			// Only a crafted pair of repository names can do this (see fleet.ChildName); neither is dropped silently.
			run.member(repo.Name, set.Namespace+"/"+name, civ1alpha1.NameTakenReason,
				"another selected repository's child has the same name; add one of them to spec.selector.exclude")
			continue
		}
		wanted[name] = true
		desired, err := r.desiredChild(set, repo, name)
		if err != nil {
			return err
		}
		if c := byName[name]; c != nil {
			if err := r.syncChild(ctx, run, c, desired); err != nil {
				return err
			}
			continue
		}
		if err := r.createChild(ctx, run, repo, desired); err != nil {
			return err
		}
	}

	for _, c := range children {
		if wanted[c.Name] || c.Annotations[civ1alpha1.DetachAnnotation] == "true" {
			continue
		}
		if set.Spec.Suspend {
			run.plan = append(run.plan, civ1alpha1.PlannedChange{Action: civ1alpha1.PlanDelete, Repository: c.Spec.Repository.Name, Pipeline: c.Name})
			continue
		}
		if !c.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Delete(ctx, c); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting SecurePipeline %s/%s, whose repository left the selection of set %s: %w", c.Namespace, c.Name, set.Name, err)
		}
		r.setEvent(ctx, set, corev1.EventTypeNormal, "ChildDeleted",
			"repository %s/%s left the selection: deleted SecurePipeline %s (deletionPolicy %s)",
			c.Spec.Repository.Owner, c.Spec.Repository.Name, c.Name, c.Spec.DeletionPolicy)
	}
	run.synced = true
	return nil
}

// desiredChild is the pipeline the template makes for repo. Its spec shares the set's template (one
// copy per child per reconcile was a third of what the set reconciler allocated): copy it before
// writing it or anything read into it.
func (r *SecurePipelineSetReconciler) desiredChild(set *civ1alpha1.SecurePipelineSet, repo githubapi.OrgRepository, name string) (*civ1alpha1.SecurePipeline, error) {
	t := &set.Spec.Template
	labels := maps.Clone(t.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	// The set's label and shard are the set's to give, never the template's: a child in another shard
	// than its set would be managed by a manager that cannot see the set.
	labels[civ1alpha1.SetLabel] = set.Name
	delete(labels, civ1alpha1.ShardLabel)
	if shard, ok := set.Labels[civ1alpha1.ShardLabel]; ok {
		labels[civ1alpha1.ShardLabel] = shard
	}
	annotations := maps.Clone(t.Metadata.Annotations)
	// A template cannot make its children detached or claim where they came from.
	delete(annotations, civ1alpha1.DetachAnnotation)
	delete(annotations, civ1alpha1.DetachedFromAnnotation)
	delete(annotations, civ1alpha1.ReconcileRequestAnnotation)
	p := &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: set.Namespace, Name: name, Labels: labels, Annotations: annotations},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository:          civ1alpha1.RepositoryReference{Owner: set.Spec.Selector.Owner, Name: repo.Name},
			GitHub:              set.Spec.GitHub,
			Actions:             t.Spec.Actions,
			Environments:        t.Spec.Environments,
			Registries:          t.Spec.Registries,
			DCO:                 t.Spec.DCO,
			WorkflowAudit:       t.Spec.WorkflowAudit,
			ReleaseVerification: t.Spec.ReleaseVerification,
			DeletionPolicy:      t.Spec.DeletionPolicy,
		},
	}
	if err := controllerutil.SetControllerReference(set, p, r.Scheme); err != nil {
		return nil, fmt.Errorf("setting the owner of SecurePipeline %s/%s: %w", p.Namespace, p.Name, err)
	}
	return p, nil
}

// childDiffers reports whether c lacks what desired says: its spec, or one of its labels or annotations.
// Labels and annotations others added to the child are left alone.
func childDiffers(c, desired *civ1alpha1.SecurePipeline) bool {
	if !equality.Semantic.DeepEqual(c.Spec, desired.Spec) {
		return true
	}
	for k, v := range desired.Labels {
		if c.Labels[k] != v {
			return true
		}
	}
	if _, has := c.Labels[civ1alpha1.ShardLabel]; has && desired.Labels[civ1alpha1.ShardLabel] == "" {
		return true
	}
	for k, v := range desired.Annotations {
		if c.Annotations[k] != v {
			return true
		}
	}
	return false
}

// syncChild brings an existing child to the template and counts it.
func (r *SecurePipelineSetReconciler) syncChild(ctx context.Context, run *setRun, c, desired *civ1alpha1.SecurePipeline) error {
	set := run.set
	if !strings.EqualFold(c.Spec.Repository.Name, desired.Spec.Repository.Name) {
		run.member(desired.Spec.Repository.Name, c.Namespace+"/"+c.Name, civ1alpha1.NameTakenReason,
			fmt.Sprintf("this set's SecurePipeline %s manages repository %s instead; add one of them to spec.selector.exclude", c.Name, c.Spec.Repository.Name))
		return nil
	}
	if childDiffers(c, desired) {
		if set.Spec.Suspend {
			run.plan = append(run.plan, civ1alpha1.PlannedChange{Action: civ1alpha1.PlanUpdate, Repository: desired.Spec.Repository.Name, Pipeline: c.Name})
		} else if c.DeletionTimestamp.IsZero() {
			patch := client.MergeFrom(c)
			c, desired = c.DeepCopy(), desired.DeepCopy() // c is the cache's; desired shares the set's template
			c.Spec = desired.Spec
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			maps.Copy(c.Labels, desired.Labels)
			if desired.Labels[civ1alpha1.ShardLabel] == "" {
				delete(c.Labels, civ1alpha1.ShardLabel)
			}
			if len(desired.Annotations) > 0 && c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			maps.Copy(c.Annotations, desired.Annotations)
			if err := r.Patch(ctx, c, patch); err != nil {
				return fmt.Errorf("updating SecurePipeline %s/%s to the template of set %s: %w", c.Namespace, c.Name, set.Name, err)
			}
		}
	}
	r.countChild(run, c)
	return nil
}

// countChild adds a child's readiness to the run.
func (r *SecurePipelineSetReconciler) countChild(run *setRun, c *civ1alpha1.SecurePipeline) {
	ready := apimeta.FindStatusCondition(c.Status.Conditions, civ1alpha1.ReadyCondition)
	current := ready != nil && ready.ObservedGeneration == c.Generation && c.Status.ObservedGeneration == c.Generation
	switch {
	case current && ready.Status == metav1.ConditionTrue:
		run.ready++
	case !current || ready.Reason == civ1alpha1.ProgressingReason:
		run.progressing = true
		run.member(c.Spec.Repository.Name, c.Namespace+"/"+c.Name, civ1alpha1.PendingReason,
			"the pipeline has not reported on its current generation yet")
	default:
		run.member(c.Spec.Repository.Name, c.Namespace+"/"+c.Name, ready.Reason, ready.Message)
	}
}

// createChild creates the child for repo, unless another pipeline manages the repository or has the
// child's name: the repository then stays with that pipeline (one owner per repository).
func (r *SecurePipelineSetReconciler) createChild(ctx context.Context, run *setRun, repo githubapi.OrgRepository, desired *civ1alpha1.SecurePipeline) error {
	set := run.set
	key := client.ObjectKeyFromObject(desired)
	existing := &civ1alpha1.SecurePipeline{}
	switch err := r.Get(ctx, key, existing); {
	case err == nil:
		if strings.EqualFold(existing.Spec.Repository.Owner, desired.Spec.Repository.Owner) &&
			strings.EqualFold(existing.Spec.Repository.Name, desired.Spec.Repository.Name) {
			run.elsewhere++
			run.member(repo.Name, key.String(), civ1alpha1.ManagedElsewhereReason, elsewhereMessage(existing))
		} else {
			run.member(repo.Name, key.String(), civ1alpha1.NameTakenReason, fmt.Sprintf(
				"SecurePipeline %s, not made by this set, has the child's name and manages %s: rename it or exclude this repository",
				key, existing.RepositoryFullName()))
		}
		return nil
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading SecurePipeline %s: %w", key, err)
	}
	if other, err := r.otherPipeline(ctx, set, desired); err != nil {
		return err
	} else if other != nil {
		run.elsewhere++
		run.member(repo.Name, other.Namespace+"/"+other.Name, civ1alpha1.ManagedElsewhereReason, elsewhereMessage(other))
		return nil
	}
	if set.Spec.Suspend {
		run.plan = append(run.plan, civ1alpha1.PlannedChange{Action: civ1alpha1.PlanCreate, Repository: repo.Name, Pipeline: desired.Name})
		run.member(repo.Name, key.String(), civ1alpha1.PendingReason, "the set is suspended: status.plan lists this pipeline as to be created")
		return nil
	}
	desired = desired.DeepCopy() // Create decodes the answer into it; its spec shares the set's template
	if err := r.Create(ctx, desired); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// Created since the cache was read; the next reconcile sees it.
			run.progressing = true
			return nil
		}
		return fmt.Errorf("creating SecurePipeline %s for repository %s/%s of set %s: %w", key, desired.Spec.Repository.Owner, repo.Name, set.Name, err)
	}
	r.setEvent(ctx, set, corev1.EventTypeNormal, "ChildCreated", "created SecurePipeline %s for repository %s/%s", desired.Name, desired.Spec.Repository.Owner, repo.Name)
	run.progressing = true
	run.member(repo.Name, key.String(), civ1alpha1.PendingReason, "created; the pipeline has not reported yet")
	return nil
}

func elsewhereMessage(p *civ1alpha1.SecurePipeline) string {
	if from := p.Annotations[civ1alpha1.DetachedFromAnnotation]; from != "" {
		return fmt.Sprintf("SecurePipeline %s/%s, detached from set %s, manages this repository", p.Namespace, p.Name, from)
	}
	return fmt.Sprintf("SecurePipeline %s/%s, not made by this set, manages this repository; it keeps it", p.Namespace, p.Name)
}

// otherPipeline returns a pipeline not controlled by set that names the same repository (on the same
// GitHub), in any namespace, or nil.
func (r *SecurePipelineSetReconciler) otherPipeline(ctx context.Context, set *civ1alpha1.SecurePipelineSet, desired *civ1alpha1.SecurePipeline) (*civ1alpha1.SecurePipeline, error) {
	key := (&SecurePipelineReconciler{DefaultAPIURL: r.DefaultAPIURL}).repositoryKey(desired)
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.MatchingFields{repositoryIndex: key}); err != nil {
		return nil, fmt.Errorf("listing SecurePipelines for repository %s: %w", desired.RepositoryFullName(), err)
	}
	for i := range list.Items {
		if !metav1.IsControlledBy(&list.Items[i], set) {
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

// detach hands a child over to its users: no owner reference to the set, no set label, and an
// annotation saying where it came from. The set never changes or deletes it again.
func (r *SecurePipelineSetReconciler) detach(ctx context.Context, set *civ1alpha1.SecurePipelineSet, c *civ1alpha1.SecurePipeline) error {
	patch := client.MergeFrom(c)
	c = c.DeepCopy() // the cache's own object (children)
	refs := c.OwnerReferences[:0]
	for _, ref := range c.OwnerReferences {
		if ref.UID != set.UID {
			refs = append(refs, ref)
		}
	}
	c.OwnerReferences = refs
	delete(c.Labels, civ1alpha1.SetLabel)
	c.Annotations[civ1alpha1.DetachedFromAnnotation] = set.Name
	if err := r.Patch(ctx, c, patch); err != nil {
		return fmt.Errorf("detaching SecurePipeline %s/%s from set %s: %w", c.Namespace, c.Name, set.Name, err)
	}
	r.setEvent(ctx, set, corev1.EventTypeNormal, "ChildDetached",
		"SecurePipeline %s was detached (annotation %s): it keeps repository %s and the set no longer changes it",
		c.Name, civ1alpha1.DetachAnnotation, c.RepositoryFullName())
	return nil
}

// setEvent records an Event on the set and logs the same line through the reconcile's logger.
func (r *SecurePipelineSetReconciler) setEvent(ctx context.Context, set *civ1alpha1.SecurePipelineSet, eventType, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	ctrl.LoggerFrom(ctx).Info(msg, "reason", reason, "type", eventType)
	if r.Recorder != nil {
		r.Recorder.Event(set, eventType, reason, msg)
	}
}

// ownedBySet reports whether a set controls the pipeline.
func ownedBySet(p *civ1alpha1.SecurePipeline) bool {
	ref := metav1.GetControllerOf(p)
	return ref != nil && ref.Kind == "SecurePipelineSet" && strings.HasPrefix(ref.APIVersion, civ1alpha1.GroupVersion.Group+"/")
}
