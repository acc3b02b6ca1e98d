package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// reconcileDelete handles a deleted pipeline. With deletionPolicy Delete it removes from GitHub what this
// pipeline created (environments it created, secrets it pushed, its DCO ruleset) and nothing else; with
// Orphan it leaves GitHub alone. It never hangs: when GitHub or the credentials are gone, it retries a
// bounded number of times, records why in an event, and lets go.
func (r *SecurePipelineReconciler) reconcileDelete(ctx context.Context, p *civ1alpha1.SecurePipeline) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(p, Finalizer) {
		return ctrl.Result{}, nil
	}
	if p.Spec.DeletionPolicy == civ1alpha1.DeletionPolicyDelete && !p.Spec.Suspend {
		if err := r.cleanUpGitHub(ctx, p); err != nil {
			r.mu.Lock()
			r.deleteAttempts[p.UID]++
			attempts := r.deleteAttempts[p.UID]
			r.mu.Unlock()
			_, stalled := asStalling(err)
			if !stalled && attempts < maxDeleteAttempts {
				r.event(p, corev1.EventTypeWarning, "CleanupFailed", "Delete",
					"removing what this pipeline created on GitHub failed (attempt %d of %d): %v", attempts, maxDeleteAttempts, err)
				return ctrl.Result{RequeueAfter: time.Duration(attempts) * 2 * time.Second}, nil
			}
			r.event(p, corev1.EventTypeWarning, "CleanupAbandoned", "Delete",
				"gave up removing what this pipeline created on GitHub after %d attempt(s): %v; remove the remaining environments, secrets and ruleset by hand",
				attempts, err)
		}
	}
	if err := r.releaseRepository(ctx, p); err != nil {
		return ctrl.Result{}, err
	}
	r.forgetClient(ctx, p)
	r.Stats.forget(p.UID)
	r.mu.Lock()
	delete(r.deleteAttempts, p.UID)
	delete(r.transientFailures, p.UID)
	delete(r.audits, p.UID)
	r.mu.Unlock()
	r.releases.forget(p)
	r.secretReads.forget(p.UID)
	r.fullRuns.forget(p.UID)
	r.proofs.forget(p.UID)

	patch := client.MergeFrom(p.DeepCopy())
	controllerutil.RemoveFinalizer(p, Finalizer)
	if err := r.Patch(ctx, p, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// forgetClient drops the cached GitHub client of the pipeline's credentials Secret when no other pipeline
// uses that Secret, so that clients of deleted pipelines do not pile up in a long-running operator.
func (r *SecurePipelineReconciler) forgetClient(ctx context.Context, p *civ1alpha1.SecurePipeline) {
	ref := p.Spec.GitHub.CredentialsSecretRef.Name
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.InNamespace(p.Namespace), client.MatchingFields{secretIndex: ref}); err != nil {
		return
	}
	for i := range list.Items {
		if list.Items[i].UID != p.UID {
			return
		}
	}
	r.GitHub.Forget(r.apiURL(p), p.Namespace+"/"+ref)
}

func (r *SecurePipelineReconciler) cleanUpGitHub(ctx context.Context, p *civ1alpha1.SecurePipeline) error {
	if p.Status.RepositoryID == 0 {
		// Its credentials never read the repository (or no longer can): it wrote nothing it could remove.
		return nil
	}
	if owner, err := r.repositoryOwner(ctx, p, p.Status.RepositoryID); err != nil {
		return err
	} else if owner != nil {
		// This pipeline never wrote to the repository: there is nothing of its own to remove.
		return nil
	}
	server, err := r.server(p)
	if err != nil {
		return err
	}
	s := &pipelineState{p: p, server: server}
	if err := r.connect(ctx, s); err != nil {
		return err
	}
	gh := s.gh
	owner, repo := p.Spec.Repository.Owner, p.Spec.Repository.Name
	var errs []error

	// Secrets first: they live in environments that may be removed next.
	for _, reg := range p.Status.Registries {
		if p.Status.RepositoryID == 0 || reg.Environment == "" {
			continue
		}
		for _, name := range []string{reg.UsernameSecret, reg.PasswordSecret} {
			if name == "" {
				continue
			}
			if err := gh.DeleteEnvironmentSecret(ctx, p.Status.RepositoryID, reg.Environment, name); err != nil && !githubapi.IsNotFound(err) {
				errs = append(errs, classify(err, fmt.Sprintf("deleting secret %s of environment %s", name, reg.Environment)))
				continue
			}
			r.event(p, corev1.EventTypeNormal, "SecretDeleted", "Delete", "deleted secret %s of environment %s of %s", name, reg.Environment, p.RepositoryFullName())
		}
	}
	for _, env := range p.Status.Environments {
		if !env.CreatedByOperator {
			continue
		}
		if err := gh.DeleteEnvironment(ctx, owner, repo, env.Name); err != nil && !githubapi.IsNotFound(err) {
			errs = append(errs, classify(err, "deleting environment "+env.Name))
			continue
		}
		r.event(p, corev1.EventTypeNormal, "EnvironmentDeleted", "Delete", "deleted environment %s of %s, which this pipeline created", env.Name, p.RepositoryFullName())
	}
	if id := p.Status.DCORulesetID; id != 0 {
		if err := gh.DeleteRuleset(ctx, owner, repo, id); err != nil && !githubapi.IsNotFound(err) {
			errs = append(errs, classify(err, "deleting the DCO ruleset"))
		} else {
			r.event(p, corev1.EventTypeNormal, "DCORulesetDeleted", "Delete", "deleted ruleset %s (id %d) of %s", DCORulesetName, id, p.RepositoryFullName())
		}
	}
	return errors.Join(errs...)
}
