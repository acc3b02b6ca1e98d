package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

const (
	// secretIndex indexes pipelines by the Secrets they reference (GitHub credentials and registries).
	secretIndex = ".spec.secretRefs"
	// repositoryIndex indexes pipelines by the repository they manage (repositoryKey): server and
	// owner/name, in the forms one repository has only one of.
	repositoryIndex = ".spec.repository"
)

// referencedSecrets lists the names of the Secrets in the pipeline's namespace that it reads.
func referencedSecrets(p *civ1alpha1.SecurePipeline) []string {
	names := []string{p.Spec.GitHub.CredentialsSecretRef.Name}
	for _, reg := range p.Spec.Registries {
		names = append(names, reg.CredentialsSecretRef.Name)
	}
	if rv := p.Spec.ReleaseVerification; rv != nil {
		for _, img := range rv.Images {
			if img.PullSecretRef != nil {
				names = append(names, img.PullSecretRef.Name)
			}
		}
	}
	return names
}

func (r *SecurePipelineReconciler) setupIndexes(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &civ1alpha1.SecurePipeline{}, secretIndex, func(o client.Object) []string {
		return referencedSecrets(o.(*civ1alpha1.SecurePipeline))
	}); err != nil {
		return fmt.Errorf("indexing SecurePipelines by Secret: %w", err)
	}
	if err := idx.IndexField(ctx, &civ1alpha1.SecurePipeline{}, repositoryIndex, func(o client.Object) []string {
		return []string{r.repositoryKey(o.(*civ1alpha1.SecurePipeline))}
	}); err != nil {
		return fmt.Errorf("indexing SecurePipelines by repository: %w", err)
	}
	return nil
}

// watches adds the watches beside the pipeline itself:
//   - Secrets, as metadata only: the informer cache never holds Secret data (clusters with many large
//     Secrets have OOM-killed operators that cached them); a change enqueues every pipeline that
//     references the Secret, whose data is then read uncached.
//   - other pipelines on the same repository, so that when the owner of a repository goes, the next
//     one in line takes over at once.
//   - Namespaces, as metadata only, so that a cluster admin's change of the allowed-owners annotation
//     stops (or frees) the namespace's pipelines at once.
func (r *SecurePipelineReconciler) watches(b *builder.Builder) *builder.Builder {
	secretMeta := secretMetadata()
	nsMeta := &metav1.PartialObjectMetadata{}
	nsMeta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return b.
		Watches(secretMeta, handler.EnqueueRequestsFromMapFunc(r.pipelinesForSecret), builder.OnlyMetadata).
		Watches(nsMeta, handler.EnqueueRequestsFromMapFunc(r.pipelinesInNamespace), builder.OnlyMetadata,
			builder.WithPredicates(predicate.Funcs{
				UpdateFunc: func(e event.UpdateEvent) bool {
					return e.ObjectOld.GetAnnotations()[civ1alpha1.AllowedOwnersAnnotation] != e.ObjectNew.GetAnnotations()[civ1alpha1.AllowedOwnersAnnotation]
				},
				CreateFunc:  func(event.CreateEvent) bool { return false },
				DeleteFunc:  func(event.DeleteEvent) bool { return false },
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		Watches(&civ1alpha1.SecurePipeline{}, handler.EnqueueRequestsFromMapFunc(r.pipelinesOnSameRepository),
			builder.WithPredicates(predicate.Funcs{
				// Only a pipeline coming, going, changing its spec or gaining or losing its proof of access
				// can change who owns a repository; reacting to other status updates would make two
				// pipelines on one repository wake each other forever.
				UpdateFunc: func(e event.UpdateEvent) bool {
					return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() || deletionStarted(e) ||
						repositoryID(e.ObjectOld) != repositoryID(e.ObjectNew)
				},
			}))
}

// pipelineChanged passes the updates that need a reconcile: a new generation, a reconcile request
// (annotation), or the start of deletion. Status updates, including the operator's own, do not.
func pipelineChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{},
		predicate.Funcs{
			UpdateFunc:  deletionStarted,
			CreateFunc:  func(event.CreateEvent) bool { return false },
			DeleteFunc:  func(event.DeleteEvent) bool { return false },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})
}

func repositoryID(o client.Object) int64 {
	if p, ok := o.(*civ1alpha1.SecurePipeline); ok {
		return p.Status.RepositoryID
	}
	return 0
}

func deletionStarted(e event.UpdateEvent) bool {
	return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
}

func (r *SecurePipelineReconciler) pipelinesForSecret(ctx context.Context, o client.Object) []reconcile.Request {
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{secretIndex: o.GetName()}); err != nil {
		return nil
	}
	return requestsFor(list.Items, "")
}

func (r *SecurePipelineReconciler) pipelinesInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.InNamespace(o.GetName())); err != nil {
		return nil
	}
	return requestsFor(list.Items, "")
}

func (r *SecurePipelineReconciler) pipelinesOnSameRepository(ctx context.Context, o client.Object) []reconcile.Request {
	p, ok := o.(*civ1alpha1.SecurePipeline)
	if !ok {
		return nil
	}
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.MatchingFields{repositoryIndex: r.repositoryKey(p)}); err != nil {
		return nil
	}
	return requestsFor(list.Items, p.UID)
}

func requestsFor(items []civ1alpha1.SecurePipeline, skip types.UID) []reconcile.Request {
	reqs := make([]reconcile.Request, 0, len(items))
	for i := range items {
		if items[i].UID == skip {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: items[i].Namespace, Name: items[i].Name}})
	}
	return reqs
}
