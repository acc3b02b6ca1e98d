package testenv

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/secure-pipeline/operator/internal/controller"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// StartOperator runs the real SecurePipeline reconciler in a manager against the control plane until ctx
// ends, set up as cmd/main.go sets it up (Secret data never cached), with a long sync period so that
// tests decide when a resync happens.
func (e *Env) StartOperator(ctx context.Context, maxConcurrentReconciles int) error {
	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{
		Scheme:                 e.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Client: client.Options{Cache: &client.CacheOptions{
			DisableFor: []client.Object{&corev1.Secret{}},
		}},
		Controller: config.Controller{MaxConcurrentReconciles: maxConcurrentReconciles, SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	r := &controller.SecurePipelineReconciler{
		Client:    mgr.GetClient(),
		Scheme:    mgr.GetScheme(),
		APIReader: mgr.GetAPIReader(),
		// A request budget no suite reaches: tests decide their timing; internal/github tests the
		// budget and test/bench measures it.
		GitHub:     githubapi.NewFactory(githubapi.FactoryOptions{PointsPerMinute: 1 << 30}),
		SyncPeriod: time.Hour,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the reconciler: %w", err)
	}
	if err := (&controller.SecurePipelineSetReconciler{
		Client: mgr.GetClient(), Scheme: mgr.GetScheme(), APIReader: mgr.GetAPIReader(), GitHub: r.GitHub,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the set reconciler: %w", err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	return nil
}
