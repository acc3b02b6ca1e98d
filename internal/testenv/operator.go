package testenv

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/controller"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// StartOperator runs the real SecurePipeline reconciler in a manager against the control plane until ctx
// ends, set up as cmd/main.go sets it up (Secret data never cached), with a long sync period so that
// tests decide when a resync happens.
func (e *Env) StartOperator(ctx context.Context, maxConcurrentReconciles int) error {
	return e.StartOperatorWith(ctx, OperatorOptions{MaxConcurrentReconciles: maxConcurrentReconciles})
}

// OperatorOptions adjust StartOperatorWith; zero values are the test suites' settings.
type OperatorOptions struct {
	MaxConcurrentReconciles int
	// SyncPeriod is the periodic resync (default an hour: tests decide when a resync happens).
	SyncPeriod time.Duration
	// PointsPerMinute is each GitHub identity's request budget (default one no suite reaches: tests
	// decide their timing; internal/github tests the budget and test/bench measures it).
	PointsPerMinute int
	// WatchLabelSelector makes the manager a shard (--watch-label-selector).
	WatchLabelSelector string
	// ClaimsNamespace turns on the repository claims (--repository-claims-namespace).
	ClaimsNamespace string
	// LeaderElectionID turns on leader election with this Lease in ClaimsNamespace, with short
	// timings (a lost leader is replaced within about two seconds) and no release on stop, so that
	// cancelling a manager's context behaves like killing its process.
	LeaderElectionID string
}

// StartOperatorWith is StartOperator with options, for the benchmarks.
func (e *Env) StartOperatorWith(ctx context.Context, o OperatorOptions) error {
	_, err := e.startOperator(ctx, o)
	return err
}

// StartOperatorManager is StartOperator, returning the manager, for tests that look into its cache.
func (e *Env) StartOperatorManager(ctx context.Context, maxConcurrentReconciles int) (ctrl.Manager, error) {
	return e.startOperator(ctx, OperatorOptions{MaxConcurrentReconciles: maxConcurrentReconciles})
}

func (e *Env) startOperator(ctx context.Context, o OperatorOptions) (ctrl.Manager, error) {
	if o.SyncPeriod <= 0 {
		o.SyncPeriod = time.Hour
	}
	if o.PointsPerMinute == 0 {
		o.PointsPerMinute = 1 << 30
	}
	maxConcurrentReconciles := max(o.MaxConcurrentReconciles, 1)
	cacheOpts := cache.Options{}
	if o.WatchLabelSelector != "" {
		sel, err := labels.Parse(o.WatchLabelSelector)
		if err != nil {
			return nil, fmt.Errorf("parsing the shard's label selector: %w", err)
		}
		cacheOpts.ByObject = map[client.Object]cache.ByObject{
			&civ1alpha1.SecurePipeline{}: {Label: sel}, &civ1alpha1.SecurePipelineSet{}: {Label: sel},
		}
	}
	lease, renew, retry := 2*time.Second, time.Second, 200*time.Millisecond
	// The manager's scheme is cmd/main.go's, so a kind it uses but does not register fails here too.
	scheme := apiruntime.NewScheme()
	if err := controller.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controller.SecretSafeCacheOptions(cacheOpts),
		LeaderElection:          o.LeaderElectionID != "",
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.ClaimsNamespace,
		LeaseDuration:           &lease,
		RenewDeadline:           &renew,
		RetryPeriod:             &retry,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		Client: client.Options{Cache: &client.CacheOptions{
			DisableFor: []client.Object{&corev1.Secret{}},
		}},
		Controller: config.Controller{MaxConcurrentReconciles: maxConcurrentReconciles, SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	r := &controller.SecurePipelineReconciler{
		Client:          mgr.GetClient(),
		Scheme:          mgr.GetScheme(),
		APIReader:       &countingReader{Reader: mgr.GetAPIReader(), counts: &e.secretReads},
		GitHub:          githubapi.NewFactory(githubapi.FactoryOptions{PointsPerMinute: o.PointsPerMinute}),
		SyncPeriod:      o.SyncPeriod,
		ClaimsNamespace: o.ClaimsNamespace,
		Stats:           controller.NewSyncStats(prometheus.NewRegistry()),
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the reconciler: %w", err)
	}
	if err := (&controller.SecurePipelineSetReconciler{
		Client: mgr.GetClient(), Scheme: mgr.GetScheme(), APIReader: mgr.GetAPIReader(), GitHub: r.GitHub,
		Stats: r.Stats, SyncPeriod: r.SyncPeriod,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the set reconciler: %w", err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	return mgr, nil
}
