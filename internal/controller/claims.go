package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// Repository claims keep one owner per repository across shards. A shard's cache holds only its own
// pipelines, so the cached ownership rule (watches.go) cannot see a pipeline of another shard on the
// same repository. Every shard does see the Leases in the operator's namespace, where users have no
// access: before writing to GitHub, a pipeline must hold its repository's Lease. The holder keeps it
// until it is deleted (its clean-up done), or until an older pipeline on the same repository takes it
// over, so the older-wins rule holds across shards too. A pipeline relabelled into another shard keeps
// its claim: the claim names the pipeline, not the shard.

const (
	// claimLabel marks the operator's repository claims.
	claimLabel = "ci.securepipeline.dev/repository-claim"
	// claimRepositoryAnnotation says, for humans, which repository a claim is for.
	claimRepositoryAnnotation = "ci.securepipeline.dev/repository"
)

// claimName is the Lease of a repository key: a hash, because the key (API URL and owner/name) is not
// a valid object name.
func claimName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "repository-" + hex.EncodeToString(sum[:20])
}

// claimHolder is how a claim names its pipeline: namespace/name/uid.
func claimHolder(p *civ1alpha1.SecurePipeline) string {
	return p.Namespace + "/" + p.Name + "/" + string(p.UID)
}

// claimRepository makes p, whose credentials just read the repository (id), the holder of its
// repository's claim if it is free, held by a pipeline that is gone, names another repository now or
// has no proof of access to it (status.repositoryID, as the cached rule requires), or held by a younger
// pipeline. It returns the pipeline that holds it otherwise. Claims are off when ClaimsNamespace is empty
// (one manager sees every pipeline).
func (r *SecurePipelineReconciler) claimRepository(ctx context.Context, p *civ1alpha1.SecurePipeline, id int64) (*civ1alpha1.SecurePipeline, error) {
	if r.ClaimsNamespace == "" {
		return nil, nil
	}
	key := r.repositoryKey(p)
	lease := &coordinationv1.Lease{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: r.ClaimsNamespace, Name: claimName(key)}, lease)
	switch {
	case apierrors.IsNotFound(err):
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: r.ClaimsNamespace, Name: claimName(key),
				Labels:      map[string]string{claimLabel: "true"},
				Annotations: map[string]string{claimRepositoryAnnotation: key},
			},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new(claimHolder(p))},
		}
		if err := r.Create(ctx, lease); err != nil {
			// Another pipeline (maybe in another shard) claimed it first: the next reconcile decides.
			return nil, fmt.Errorf("claiming repository %s for SecurePipeline %s/%s: %w", p.RepositoryFullName(), p.Namespace, p.Name, err)
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the claim of repository %s: %w", p.RepositoryFullName(), err)
	}
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	if holder == claimHolder(p) {
		return nil, nil
	}
	current, err := r.claimant(ctx, holder, key, id)
	if err != nil {
		return nil, err
	}
	if current != nil && !olderThan(p, current) {
		return current, nil
	}
	// Free to take: the holder is gone, or p is older. Update carries the resourceVersion read, so of
	// two shards taking it at once one gets a conflict and decides again.
	lease.Spec.HolderIdentity = new(claimHolder(p))
	if err := r.Update(ctx, lease); err != nil {
		return nil, fmt.Errorf("taking over the claim of repository %s for SecurePipeline %s/%s: %w", p.RepositoryFullName(), p.Namespace, p.Name, err)
	}
	return nil, nil
}

// claimant returns the pipeline a claim's holder names, read uncached (it may be in another shard), or
// nil when it is gone, was replaced (another uid), manages another repository now, or has not proven
// access to the repository (id).
func (r *SecurePipelineReconciler) claimant(ctx context.Context, holder, key string, id int64) (*civ1alpha1.SecurePipeline, error) {
	parts := strings.SplitN(holder, "/", 3)
	if len(parts) != 3 {
		return nil, nil
	}
	p := &civ1alpha1.SecurePipeline{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: parts[0], Name: parts[1]}, p); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading SecurePipeline %s/%s, which claims a repository: %w", parts[0], parts[1], err)
	}
	if p.UID != types.UID(parts[2]) || r.repositoryKey(p) != key || p.Status.RepositoryID != id {
		return nil, nil
	}
	return p, nil
}

// releaseRepository gives up p's claim, once p is deleted, so the next pipeline in line can take it.
func (r *SecurePipelineReconciler) releaseRepository(ctx context.Context, p *civ1alpha1.SecurePipeline) error {
	if r.ClaimsNamespace == "" {
		return nil
	}
	lease := &coordinationv1.Lease{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: r.ClaimsNamespace, Name: claimName(r.repositoryKey(p))}, lease)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the claim of repository %s: %w", p.RepositoryFullName(), err)
	}
	if ptr.Deref(lease.Spec.HolderIdentity, "") != claimHolder(p) {
		return nil
	}
	err = r.Delete(ctx, lease, client.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("releasing the claim of repository %s: %w", p.RepositoryFullName(), err)
	}
	return nil
}
