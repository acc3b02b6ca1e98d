package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/fleet"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// SetFinalizer lets a set delete its children (each with its deletionPolicy) before it goes, also where
// no garbage collector runs.
const SetFinalizer = "ci.securepipeline.dev/set-finalizer"

// SecurePipelineSetReconciler keeps one child SecurePipeline per repository a SecurePipelineSet selects.
// It needs the SecurePipeline reconciler's repository index in the same manager.
type SecurePipelineSetReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// APIReader reads the credentials Secret uncached.
	APIReader client.Reader
	Recorder  record.EventRecorder
	// GitHub builds GitHub clients; the same Factory as the pipelines', so a set and its children share
	// one identity's cache and request budget.
	GitHub githubapi.Factory
	// DefaultAPIURL is used when spec.github.apiURL is empty (the --github-api-url flag).
	DefaultAPIURL string
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Stats is the pipeline reconciler's, for status.effectiveSyncPeriod; SyncPeriod is its --sync-period.
	Stats      *SyncStats
	SyncPeriod time.Duration

	mu sync.Mutex
	// listings remembers each set's last repository listing, so that the many child status changes of a
	// large set recompute its status without listing the organisation again.
	listings map[types.UID]*setListing
}

// setListing is one listing of a set's organisation.
type setListing struct {
	generation int64
	at         time.Time
	// identity is the GitHub identity the set and its children use.
	identity string
	repos    []githubapi.OrgRepository
	props    map[string]map[string][]string
}

// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelinesets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelinesets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelinesets/finalizers,verbs=update
// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelines,verbs=create;delete

// Reconcile lists the set's repositories when due, makes the children match the template and reports.
func (r *SecurePipelineSetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	log := logf.FromContext(ctx)
	set := &civ1alpha1.SecurePipelineSet{}
	if err := r.Get(ctx, req.NamespacedName, set); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !set.DeletionTimestamp.IsZero() {
		return r.reconcileSetDelete(ctx, set)
	}
	if !controllerutil.ContainsFinalizer(set, SetFinalizer) {
		patch := client.MergeFrom(set.DeepCopy())
		controllerutil.AddFinalizer(set, SetFinalizer)
		if err := r.Patch(ctx, set, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer to SecurePipelineSet %s: %w", req.NamespacedName, err)
		}
	}

	base := set.DeepCopy()
	run := &setRun{set: set}
	defer func() {
		r.summarizeSet(run)
		err := r.Status().Patch(ctx, set, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		switch {
		case apierrors.IsConflict(err):
			result, retErr = ctrl.Result{RequeueAfter: time.Second}, nil
		case err != nil && !apierrors.IsNotFound(err):
			log.Error(err, "patching the SecurePipelineSet status")
			if retErr == nil {
				retErr = err
			}
		}
	}()

	listing, err := r.listing(ctx, set)
	if err != nil {
		run.err = err
		return r.setResult(set, run)
	}
	run.listing = listing
	if err := r.syncChildren(ctx, run); err != nil {
		run.err = err
	}
	return r.setResult(set, run)
}

// interval is how often the set lists its organisation.
func setInterval(set *civ1alpha1.SecurePipelineSet) time.Duration {
	if set.Spec.Interval != nil && set.Spec.Interval.Duration > 0 {
		return set.Spec.Interval.Duration
	}
	return civ1alpha1.DefaultSetInterval
}

// listing returns the set's repository listing, listing the organisation again when the spec changed,
// a resync was requested or the interval has passed; otherwise the remembered one.
func (r *SecurePipelineSetReconciler) listing(ctx context.Context, set *civ1alpha1.SecurePipelineSet) (*setListing, error) {
	if err := fleet.CheckSelector(&set.Spec.Selector); err != nil {
		return nil, stalling(civ1alpha1.InvalidSelectorReason, "SecurePipelineSet %s/%s: %v", set.Namespace, set.Name, err)
	}
	requested := set.Annotations[civ1alpha1.ReconcileRequestAnnotation]
	r.mu.Lock()
	cached := r.listings[set.UID]
	r.mu.Unlock()
	if cached != nil && cached.generation == set.Generation && requested == set.Status.LastHandledReconcileAt &&
		r.Now().Sub(cached.at) < setInterval(set) {
		return cached, nil
	}

	owner := set.Spec.Selector.Owner
	// A cluster admin's allowed-owners annotation on the namespace bounds a set as it bounds a pipeline.
	probe := &civ1alpha1.SecurePipeline{ObjectMeta: metav1.ObjectMeta{Namespace: set.Namespace, Name: set.Name}}
	if err := (&SecurePipelineReconciler{Client: r.Client}).checkAllowedOwner(ctx, probe, owner); err != nil {
		return nil, err
	}
	gh, err := r.connect(ctx, set)
	if err != nil {
		return nil, err
	}
	repos, err := gh.ListOrgRepositories(ctx, owner)
	if err != nil {
		if githubapi.IsNotFound(err) {
			return nil, stalling(civ1alpha1.OrganizationNotFoundReason,
				"organisation %s (spec.selector.owner) was not found on GitHub, or the credentials in Secret %s/%s cannot see it",
				owner, set.Namespace, set.Spec.GitHub.CredentialsSecretRef.Name)
		}
		return nil, classify(err, "listing the repositories of organisation "+owner)
	}
	l := &setListing{generation: set.Generation, at: r.Now(), repos: repos, identity: gh.Identity()}
	if len(set.Spec.Selector.Properties) > 0 {
		if l.props, err = gh.ListCustomPropertyValues(ctx, owner); err != nil {
			return nil, classify(err, "listing the custom property values of organisation "+owner)
		}
	}
	r.mu.Lock()
	r.listings[set.UID] = l
	r.mu.Unlock()
	set.Status.LastListTime = &metav1.Time{Time: l.at}
	set.Status.LastHandledReconcileAt = requested
	return l, nil
}

// connect reads the set's credentials Secret (uncached) and returns the GitHub client the children will
// share.
func (r *SecurePipelineSetReconciler) connect(ctx context.Context, set *civ1alpha1.SecurePipelineSet) (githubapi.Client, error) {
	ref := set.Spec.GitHub.CredentialsSecretRef.Name
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: set.Namespace, Name: ref}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, stalling(civ1alpha1.CredentialsSecretNotFoundReason,
				"the GitHub credentials Secret %s/%s (spec.github.credentialsSecretRef) does not exist", set.Namespace, ref)
		}
		return nil, fmt.Errorf("reading the GitHub credentials Secret %s/%s: %w", set.Namespace, ref, err)
	}
	creds, err := credentialsFromSecret(secret)
	if err != nil {
		return nil, stalling(civ1alpha1.InvalidCredentialsReason, "the GitHub credentials Secret %s/%s: %v", set.Namespace, ref, err)
	}
	apiURL := set.Spec.GitHub.APIURL
	if apiURL == "" {
		apiURL = r.DefaultAPIURL
	}
	server, err := githubapi.ParseServer(apiURL)
	if err != nil {
		return nil, stalling(civ1alpha1.InvalidSpecReason, "%v", &githubapi.APIURLError{URL: apiURL, Problem: err.Error()})
	}
	gh, err := r.GitHub.ClientFor(ctx, githubapi.Connection{
		APIURL: server.String(), SecretKey: set.Namespace + "/" + ref,
		SecretVersion: secret.ResourceVersion, Credentials: creds,
	})
	if err != nil {
		return nil, stalling(civ1alpha1.InvalidCredentialsReason, "the GitHub credentials Secret %s/%s: %v", set.Namespace, ref, err)
	}
	return gh, nil
}

// setResult says when to come back: at the next listing, sooner after a rate limit's reset; errors that
// are neither stalling nor waiting are returned for backoff.
func (r *SecurePipelineSetReconciler) setResult(set *civ1alpha1.SecurePipelineSet, run *setRun) (ctrl.Result, error) {
	if run.err != nil {
		if w, ok := asWaiting(run.err); ok {
			return ctrl.Result{RequeueAfter: w.after}, nil
		}
		if _, ok := asStalling(run.err); !ok {
			return ctrl.Result{}, run.err
		}
	}
	after := setInterval(set)
	if run.listing != nil {
		after = max(time.Second, setInterval(set)-r.Now().Sub(run.listing.at))
	}
	return ctrl.Result{RequeueAfter: after}, nil
}

// reconcileSetDelete deletes the set's children (each cleans GitHub up as its deletionPolicy says) and
// lets the set go once they are gone.
func (r *SecurePipelineSetReconciler) reconcileSetDelete(ctx context.Context, set *civ1alpha1.SecurePipelineSet) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(set, SetFinalizer) {
		return ctrl.Result{}, nil
	}
	children, err := r.children(ctx, set)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, c := range children {
		if c.DeletionTimestamp.IsZero() {
			if err := r.Delete(ctx, c); client.IgnoreNotFound(err) != nil {
				return ctrl.Result{}, fmt.Errorf("deleting SecurePipeline %s/%s of set %s: %w", c.Namespace, c.Name, set.Name, err)
			}
		}
	}
	if len(children) > 0 {
		// The children's deletions wake the set through its watch of them (set_watch.go); this is a safety net.
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	}
	r.mu.Lock()
	delete(r.listings, set.UID)
	r.mu.Unlock()
	patch := client.MergeFrom(set.DeepCopy())
	controllerutil.RemoveFinalizer(set, SetFinalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Patch(ctx, set, patch))
}

// SetupWithManager registers the reconciler and its watches: its own sets, their children (any change,
// status included, updates the set's counts), and the coming and going of other pipelines, which can
// free or take a repository.
func (r *SecurePipelineSetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	r.APIReader = SecretSafeReader(r.APIReader)
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor("securepipelineset-controller") //nolint:staticcheck // see SecurePipelineReconciler.Recorder
	}
	if r.DefaultAPIURL == "" {
		r.DefaultAPIURL = DefaultAPIURL
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	r.listings = map[types.UID]*setListing{}
	return ctrl.NewControllerManagedBy(mgr).
		For(&civ1alpha1.SecurePipelineSet{}, builder.WithPredicates(pipelineChanged())).
		// Owns, but a set counts its children at most once per setRecountDelay (set_watch.go).
		Watches(&civ1alpha1.SecurePipeline{}, childChanges(setRecountDelay)).
		Watches(&civ1alpha1.SecurePipeline{}, handler.EnqueueRequestsFromMapFunc(r.setsForRepositoryOwner),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  func(event.UpdateEvent) bool { return false },
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		Named("securepipelineset").
		Complete(r)
}

// setsForRepositoryOwner wakes, when a pipeline that no set controls goes, every set selecting from its
// repository's organisation, in any namespace (one owner per repository spans namespaces): the
// repository may now be free for a child.
func (r *SecurePipelineSetReconciler) setsForRepositoryOwner(ctx context.Context, o client.Object) []reconcile.Request {
	p, ok := o.(*civ1alpha1.SecurePipeline)
	if !ok || ownedBySet(p) {
		return nil
	}
	var sets civ1alpha1.SecurePipelineSetList
	if err := r.List(ctx, &sets); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for i := range sets.Items {
		if strings.EqualFold(sets.Items[i].Spec.Selector.Owner, p.Spec.Repository.Owner) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: sets.Items[i].Namespace, Name: sets.Items[i].Name}})
		}
	}
	return reqs
}
