/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controller

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

const (
	// Finalizer lets the operator clean GitHub up (deletionPolicy: Delete) before the pipeline goes.
	Finalizer = "ci.securepipeline.dev/finalizer"

	// DefaultSyncPeriod is how often an unchanged pipeline is compared with GitHub to revert drift.
	DefaultSyncPeriod = 10 * time.Minute

	// DefaultAPIURL is GitHub.com's REST API.
	DefaultAPIURL = "https://api.github.com/"

	// transientGrace is how many transient failures in a row are shown as Reconciling before a concern
	// (and Ready) turns False: one 502 must not page anyone.
	transientGrace = 3

	// maxDeleteAttempts bounds how often deletion retries GitHub clean-up before letting go.
	maxDeleteAttempts = 5

	// proofSettleTime is how long a pipeline that has just proved access to its repository waits before
	// writing, so that another pipeline's proof of the same moment reaches the informer cache.
	proofSettleTime = time.Second
)

// SecurePipelineReconciler makes GitHub match SecurePipelines.
type SecurePipelineReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// APIReader reads Secrets uncached: the manager never holds Secret data in its informer cache.
	APIReader client.Reader
	// Recorder records core/v1 Events. The events.k8s.io recorder merges events of one reason into a
	// series that keeps only the first note, which would hide all but the first change made on GitHub.
	Recorder record.EventRecorder
	// GitHub builds GitHub clients from credentials; tests hand in one aimed at the simulator.
	GitHub githubapi.Factory
	// DefaultAPIURL is used when spec.github.apiURL is empty (the --github-api-url flag).
	DefaultAPIURL string
	// SyncPeriod is the periodic resync that detects and reverts drift on GitHub.
	SyncPeriod time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// ClaimsNamespace holds the repository claims (claims.go) that keep one owner per repository across
	// shards; empty turns them off (a single manager sees every pipeline).
	ClaimsNamespace string
	// Stats measures the effective sync period per identity (sync_stats.go); nil: not measured.
	Stats *SyncStats
	// ReleaseTransport is the base HTTP transport to container registries (nil: http.DefaultTransport).
	ReleaseTransport http.RoundTripper
	// PublicTrustedRoot reads Sigstore's public-good trusted_root.json (nil: from its TUF repository).
	PublicTrustedRoot func() ([]byte, error)
	// Publishing says which images the repository's workflows publish, for status.releaseSuggestions
	// (nil: the workflow audit's status.publishing; see release_suggestions.go).
	Publishing PublishingInventory

	mu sync.Mutex
	// transientFailures counts transient failures in a row per pipeline.
	transientFailures map[types.UID]int
	// deleteAttempts counts failed clean-up attempts per deleting pipeline.
	deleteAttempts map[types.UID]int
	// audits remembers each pipeline's last workflow audit (see workflow_audit.go).
	audits map[types.UID]*auditResult
	// blobs keeps the git blobs the workflow audit read, by sha (see workflow_tree.go).
	blobs *blobCache
	// ids caches reviewer logins and team slugs resolved to GitHub ids.
	ids *idCache
	// releases is the release verification's memory (see release_verification.go).
	releases releaseVerifier
	// secretCache is the manager's cache, where the Secrets' metadata is (the client bypasses it for Secrets).
	secretCache client.Reader
	// secretReads remembers Secret versions, so that an unchanged resync reads no Secret (secret_reads.go).
	secretReads secretReads
	// fullRuns remembers each pipeline's last clean full run, for credentials-only runs (credentials_only.go).
	fullRuns fullRuns
	// proofs remembers when pipelines recorded their first proof of access, until it has settled (identity.go).
	proofs proofClock
}

// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelines/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ci.securepipeline.dev,resources=securepipelines/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=external-secrets.io,resources=externalsecrets,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// pipelineState is what one reconcile of one pipeline knows.
type pipelineState struct {
	p  *civ1alpha1.SecurePipeline
	gh githubapi.Client
	// creds are the GitHub credentials gh was built from; the credential fingerprints' key derives from
	// them. When the credentials Secret's version had not moved, they are read only on first need
	// (credentials); credsVersion is the Secret's resourceVersion they are (to be) read at.
	creds        *githubapi.Credentials
	credsVersion string
	// server is the canonical GitHub server; caches of facts about it are keyed by it.
	server githubapi.Server
	repo   *githubapi.Repository
	// audit is the workflow audit's latest result, nil when the audit is disabled or has not run.
	audit *auditResult
	// changed is set when a sub-reconciler wrote to GitHub.
	changed bool
	// requeueAfter is the earliest time a sub-reconciler wants to run again (0: the sync period).
	requeueAfter time.Duration
	// nameNotes are look-alike environment names (environment_names.go), told in EnvironmentsReady.
	nameNotes []string
	// adminBypassUnenforced lists the environments where the GitHub server cannot forbid administrators
	// to bypass the reviewers and the pipeline accepts it (spec.github.acceptUnenforcedAdminBypass).
	adminBypassUnenforced map[string]bool
}

func (s *pipelineState) wantRequeue(after time.Duration) {
	if after > 0 && (s.requeueAfter == 0 || after < s.requeueAfter) {
		s.requeueAfter = after
	}
}

// concern is one sub-reconciler and the condition it owns.
type concern struct {
	condition string
	run       func(ctx context.Context, s *pipelineState) error
}

func (r *SecurePipelineReconciler) concerns() []concern {
	return []concern{
		{civ1alpha1.WorkflowsCompliantCondition, r.reconcileWorkflowAudit},
		{civ1alpha1.RepositorySettingsReadyCondition, r.reconcileRepositorySettings},
		{civ1alpha1.EnvironmentsReadyCondition, r.reconcileEnvironments},
		{civ1alpha1.CredentialsReadyCondition, r.reconcileCredentials},
		{civ1alpha1.DCOEnforcedCondition, r.reconcileDCO},
		{civ1alpha1.ReleasesVerifiedCondition, r.reconcileReleaseVerification},
	}
}

// Reconcile makes GitHub match one SecurePipeline and reports what it found in the pipeline's status.
func (r *SecurePipelineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	log := logf.FromContext(ctx)
	p := &civ1alpha1.SecurePipeline{}
	if err := r.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	if !p.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, p)
	}
	if !controllerutil.ContainsFinalizer(p, Finalizer) {
		patch := client.MergeFrom(p.DeepCopy())
		controllerutil.AddFinalizer(p, Finalizer)
		if err := r.Patch(ctx, p, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer to SecurePipeline %s: %w", req.NamespacedName, err)
		}
	}

	// A new generation shows as Reconciling at once, before any GitHub call, so that kubectl wait,
	// Argo CD and Flux do not read the old Ready as the answer to the new spec.
	if p.Status.ObservedGeneration != p.Generation && !p.Spec.Suspend {
		if err := r.markReconciling(ctx, p); err != nil {
			return ctrl.Result{}, err
		}
	}

	base := p.DeepCopy()
	outcome := &runOutcome{}
	defer func() {
		r.summarize(p, outcome)
		if !statusNeedsWrite(base, p) {
			return // nothing a user reads changed (resync.go)
		}
		// Optimistic locking: a reconcile that started from a cached pipeline older than the last status
		// this operator wrote must not replace the newer status lists (a merge patch replaces a list whole).
		// It gets a conflict and runs again from the current object instead.
		err := r.Status().Patch(ctx, p, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		if err != nil {
			// The run's status is lost: the next run is a full one (credentials_only.go).
			r.fullRuns.forget(p.UID)
		}
		switch {
		case apierrors.IsConflict(err):
			log.V(1).Info("the pipeline changed during the reconcile; running again from the current object")
			result, retErr = ctrl.Result{RequeueAfter: time.Second}, nil
			return
		case err != nil && !apierrors.IsNotFound(err):
			log.Error(err, "patching the status")
			if retErr == nil {
				retErr = err
			}
		}
		r.emitTransitions(p, base)
	}()

	if p.Spec.Suspend {
		outcome.suspended = true
		log.V(1).Info("suspended: no GitHub calls until spec.suspend is false")
		return ctrl.Result{}, nil
	}

	res, err := r.reconcileGitHub(ctx, p, outcome)
	return res, err
}

// reconcileGitHub checks the server and the namespace's allowed owners, connects, proves access to the
// repository with the pipeline's own credentials (a read, by a repository admin when GitHub says who
// administers it), checks ownership, and runs the concerns in order.
func (r *SecurePipelineReconciler) reconcileGitHub(ctx context.Context, p *civ1alpha1.SecurePipeline, outcome *runOutcome) (ctrl.Result, error) {
	// The last clean full run, taken: a run that does not end cleanly leaves the next one full.
	lastFull, haveLastFull := r.fullRuns.take(p.UID)
	// Until its credentials have read the repository again, a pipeline that cannot write takes no part
	// in deciding who owns it.
	refuse := func(err error) (ctrl.Result, error) {
		if _, ok := asStalling(err); ok {
			p.Status.RepositoryID = 0
		}
		outcome.fail("", err)
		return r.result(p, outcome, nil)
	}
	// Admission checks these only for objects written after its rules existed.
	names := checkEnvironmentNames(&p.Spec)
	if names.refusal != nil {
		return refuse(names.refusal)
	}
	server, err := r.server(p)
	if err != nil {
		return refuse(err)
	}
	if err := r.checkAllowedOwner(ctx, p, p.Spec.Repository.Owner); err != nil {
		return refuse(err)
	}
	s := &pipelineState{p: p, server: server, nameNotes: names.notes}
	if err := r.connect(ctx, s); err != nil {
		return refuse(err)
	}
	gh := s.gh
	// A credential push pending (a registry Secret moved, or a push did not complete): the run goes ahead
	// of routine resyncs in the identity's request budget, and is credentials-only when the last full run
	// allows it (credentials_only.go).
	pushPending := r.rotationPending(ctx, p)
	outcome.credentialsOnly = pushPending && haveLastFull && lastFull.allowsCredentialsOnly(p, r.Now(), r.SyncPeriod)
	if !outcome.credentialsOnly {
		r.Stats.observe(p.UID, gh.Identity(), r.Now(), r.SyncPeriod)
	}
	repo, err := gh.GetRepository(ctx, p.Spec.Repository.Owner, p.Spec.Repository.Name)
	if err != nil {
		if githubapi.IsNotFound(err) {
			err = stalling(civ1alpha1.RepositoryNotFoundReason,
				"repository %s was not found on GitHub, or the credentials in Secret %s/%s cannot see it: check spec.repository and the token's repository access",
				p.RepositoryFullName(), p.Namespace, p.Spec.GitHub.CredentialsSecretRef.Name)
		} else {
			err = classify(err, "reading repository "+p.RepositoryFullName())
		}
		return refuse(err)
	}
	if err := provesAccess(p, repo); err != nil {
		return refuse(err)
	}
	s.repo = repo
	proven := p.Status.RepositoryID == repo.ID
	p.Status.RepositoryID = repo.ID
	if winner, err := r.repositoryOwner(ctx, p, repo.ID); err != nil {
		return ctrl.Result{}, err
	} else if winner != nil {
		outcome.fail("", stalling(civ1alpha1.RepositoryConflictReason,
			"repository %s is already managed by SecurePipeline %s/%s, created earlier; this pipeline writes nothing to GitHub until that one is deleted",
			p.RepositoryFullName(), winner.Namespace, winner.Name))
		return r.result(p, outcome, nil)
	}
	if !proven {
		r.proofs.record(p.UID, r.Now())
	}
	if wait := r.proofs.unsettled(p.UID, r.Now()); wait > 0 {
		// A first proof of access is recorded, and settles, before anything is written: two pipelines
		// proving access to one repository at the same moment would otherwise both write, each not yet
		// seeing the other's proof. The settling is timed, not counted in rounds: a proof wakes every
		// pipeline on the repository at once (watches.go), the prover included.
		outcome.fail("", &waitingError{reason: civ1alpha1.ProgressingReason, after: wait,
			msg: fmt.Sprintf("the credentials read repository %s (id %d); deciding which pipeline owns it before writing", p.RepositoryFullName(), repo.ID)})
		return r.result(p, outcome, nil)
	}
	// Across shards, the cache above cannot see every pipeline: the repository's claim decides too.
	if winner, err := r.claimRepository(ctx, p, repo.ID); err != nil {
		return ctrl.Result{}, err
	} else if winner != nil {
		outcome.fail("", stalling(civ1alpha1.RepositoryConflictReason,
			"repository %s is already managed by SecurePipeline %s/%s (maybe in another shard), created earlier; this pipeline writes nothing to GitHub until that one is deleted",
			p.RepositoryFullName(), winner.Namespace, winner.Name))
		return r.result(p, outcome, nil)
	}

	// Concerns fail alone: one concern's failure does not keep the others from their attempt (a 502 on
	// the ci environment must not hold back a rotated production credential). Only a failure of the
	// credentials themselves stops the run, since every further request would fail the same way; the
	// concerns that did not run then share that failure, so that no condition tells of an older attempt.
	if pushPending {
		ctx = githubapi.WithPriority(ctx, githubapi.PriorityUrgent)
	}
	all := r.concerns()
	if outcome.credentialsOnly {
		all = []concern{{civ1alpha1.CredentialsReadyCondition, r.reconcileCredentials}}
	}
	for i, c := range all {
		err := c.run(ctx, s)
		if err == nil {
			continue
		}
		outcome.fail(c.condition, err)
		if stopsTheRun(err) {
			for _, rest := range all[i+1:] {
				outcome.fail(rest.condition, err)
			}
			break
		}
	}
	outcome.changed = s.changed
	res, err := r.result(p, outcome, s)
	switch {
	case err != nil || len(outcome.failures) > 0:
		// What failed may be another concern's to mend (an environment deleted on GitHub): a
		// credentials-only run that stalled is followed by a full run at once.
		if outcome.credentialsOnly && err == nil && outcome.waiting == nil {
			res.RequeueAfter = min(res.RequeueAfter, time.Second)
		}
	case outcome.credentialsOnly:
		// The full run stays due when it was, or follows at once when it is due already.
		r.fullRuns.record(p.UID, lastFull.generation, lastFull.next)
		if until := lastFull.next.Sub(r.Now()); until < res.RequeueAfter {
			res.RequeueAfter = max(until, time.Second)
		}
	default:
		r.fullRuns.record(p.UID, p.Generation, r.Now().Add(res.RequeueAfter))
	}
	return res, err
}

// result turns a run's outcome into what controller-runtime should do next.
func (r *SecurePipelineReconciler) result(p *civ1alpha1.SecurePipeline, o *runOutcome, s *pipelineState) (ctrl.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o.transient != nil {
		r.transientFailures[p.UID]++
		o.transientCount = r.transientFailures[p.UID]
		// The error makes controller-runtime retry with exponential backoff.
		return ctrl.Result{}, o.transient
	}
	delete(r.transientFailures, p.UID)
	if o.waiting != nil {
		return ctrl.Result{RequeueAfter: o.waiting.after}, nil
	}
	after := resyncAfter(r.SyncPeriod)
	if s != nil && s.requeueAfter > 0 && s.requeueAfter < after {
		after = s.requeueAfter
	}
	return ctrl.Result{RequeueAfter: after}, nil
}

// markReconciling records, before any work, that a new generation is being reconciled.
func (r *SecurePipelineReconciler) markReconciling(ctx context.Context, p *civ1alpha1.SecurePipeline) error {
	base := p.DeepCopy()
	apimeta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
		Type: civ1alpha1.ReconcilingCondition, Status: metav1.ConditionTrue, Reason: civ1alpha1.ProgressingReason,
		Message: fmt.Sprintf("reconciling generation %d", p.Generation), ObservedGeneration: p.Generation,
	})
	if apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition) == nil {
		apimeta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
			Type: civ1alpha1.ReadyCondition, Status: metav1.ConditionUnknown, Reason: civ1alpha1.ProgressingReason,
			Message: "reconciliation in progress", ObservedGeneration: p.Generation,
		})
	}
	if err := r.Status().Patch(ctx, p, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("marking SecurePipeline %s/%s as reconciling: %w", p.Namespace, p.Name, err)
	}
	return nil
}

// connect sets s.gh to a GitHub client at s.server for the pipeline's credentials Secret. It reads the
// Secret (uncached) unless its version has not moved since the cached client was built from it
// (secret_reads.go).
func (r *SecurePipelineReconciler) connect(ctx context.Context, s *pipelineState) error {
	p := s.p
	ref := p.Spec.GitHub.CredentialsSecretRef.Name
	secretKey := p.Namespace + "/" + ref
	if version, ok := r.cachedSecretVersion(ctx, types.NamespacedName{Namespace: p.Namespace, Name: ref}); ok {
		if gh := r.GitHub.Cached(s.server.String(), secretKey, version); gh != nil {
			countSecretRead(secretKindGitHub, true)
			s.gh, s.credsVersion = gh, version
			return nil
		}
	}
	creds, version, err := r.readGitHubCredentials(ctx, p)
	if err != nil {
		return err
	}
	gh, err := r.GitHub.ClientFor(ctx, githubapi.Connection{
		APIURL:        s.server.String(),
		SecretKey:     secretKey,
		SecretVersion: version,
		Credentials:   creds,
	})
	switch {
	case githubapi.IsInvalidAPIURL(err):
		return stalling(civ1alpha1.InvalidSpecReason, "%v", err)
	case err != nil:
		// The factory's *CredentialsError already names the Secret.
		return stalling(civ1alpha1.InvalidCredentialsReason, "%v", err)
	}
	s.gh, s.creds, s.credsVersion = gh, &creds, version
	return nil
}

// credentials returns the GitHub credentials of the run, reading them if connect did not need to.
func (r *SecurePipelineReconciler) credentials(ctx context.Context, s *pipelineState) (githubapi.Credentials, error) {
	if s.creds == nil {
		creds, version, err := r.readGitHubCredentials(ctx, s.p)
		if err != nil {
			return githubapi.Credentials{}, err
		}
		s.creds, s.credsVersion = &creds, version
	}
	return *s.creds, nil
}

// readGitHubCredentials reads the pipeline's GitHub credentials Secret uncached, and returns the
// credentials and the Secret's resourceVersion.
func (r *SecurePipelineReconciler) readGitHubCredentials(ctx context.Context, p *civ1alpha1.SecurePipeline) (githubapi.Credentials, string, error) {
	ref := p.Spec.GitHub.CredentialsSecretRef.Name
	secret := &corev1.Secret{}
	countSecretRead(secretKindGitHub, false)
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: ref}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return githubapi.Credentials{}, "", stalling(civ1alpha1.CredentialsSecretNotFoundReason,
				"the GitHub credentials Secret %s/%s (spec.github.credentialsSecretRef) does not exist: create it with a \"token\" key, or \"appID\", \"installationID\" and \"privateKey\"",
				p.Namespace, ref)
		}
		return githubapi.Credentials{}, "", fmt.Errorf("reading the GitHub credentials Secret %s/%s: %w", p.Namespace, ref, err)
	}
	creds, err := credentialsFromSecret(secret)
	if err != nil {
		return githubapi.Credentials{}, "", stalling(civ1alpha1.InvalidCredentialsReason, "the GitHub credentials Secret %s/%s: %v", p.Namespace, ref, err)
	}
	return creds, secret.ResourceVersion, nil
}

// SetupWithManager registers the reconciler, its indexes and its watches.
func (r *SecurePipelineReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init(mgr)
	if err := r.setupIndexes(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	catchUp, err := newSecretCatchUp(r, mgr)
	if err != nil {
		return err
	}
	if err := mgr.Add(catchUp); err != nil {
		return fmt.Errorf("adding the Secret catch-up after API-server outages: %w", err)
	}
	return r.watches(ctrl.NewControllerManagedBy(mgr).For(&civ1alpha1.SecurePipeline{}, builder.WithPredicates(pipelineChanged()))).
		WatchesRawSource(source.Channel(catchUp.events, &handler.EnqueueRequestForObject{})).
		Named("securepipeline").
		Complete(r)
}

func (r *SecurePipelineReconciler) init(mgr ctrl.Manager) {
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	r.secretCache = mgr.GetCache()
	// Secret data must not reach the logs through client-go's body logging (credentials_logging.go).
	r.APIReader = SecretSafeReader(r.APIReader)
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor("securepipeline-controller") //nolint:staticcheck // see Recorder
	}
	if r.DefaultAPIURL == "" {
		r.DefaultAPIURL = DefaultAPIURL
	}
	if r.SyncPeriod <= 0 {
		r.SyncPeriod = DefaultSyncPeriod
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	r.transientFailures = map[types.UID]int{}
	r.deleteAttempts = map[types.UID]int{}
	r.audits = map[types.UID]*auditResult{}
	r.ids = newIDCache(r.SyncPeriod)
}
