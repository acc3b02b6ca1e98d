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

package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	// Import all Kubernetes client auth plugins (e.g. Azure, GCP, OIDC, etc.)
	// to ensure that exec-entrypoint and run can make use of them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/controller"
	githubapi "github.com/secure-pipeline/operator/internal/github"
	"github.com/secure-pipeline/operator/internal/memlimit"
	"github.com/secure-pipeline/operator/internal/metricsauth"
	// +kubebuilder:scaffold:imports
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	// Only the kinds the manager uses (controller.AddToScheme), not client-go's every API group.
	utilruntime.Must(controller.AddToScheme(scheme))
	// +kubebuilder:scaffold:scheme
}

// eventCorrelatorEntries bounds each LRU of the event correlator (client-go's default is 4,096).
const eventCorrelatorEntries = 256

// nolint:gocyclo
func main() {
	var metricsAddr string
	var metricsCertPath, metricsCertName, metricsCertKey string
	var webhookCertPath, webhookCertName, webhookCertKey string
	var webhookPort int
	var enableLeaderElection bool
	var probeAddr string
	var secureMetrics bool
	var enableHTTP2 bool
	var tlsOpts []func(*tls.Config)
	var githubAPIURL, watchNamespaces, watchLabelSelector, leaderElectionID, claimsNamespace, pprofAddr string
	var syncPeriod time.Duration
	var maxConcurrentReconciles, githubCacheBytes, githubPointsPerMinute int
	var memoryLimitRatio float64
	var pageReleaseInterval time.Duration
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0", "The address the metrics endpoint binds to. "+
		"Use :8443 for HTTPS or :8080 for HTTP, or leave as 0 to disable the metrics service.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	flag.BoolVar(&enableLeaderElection, "leader-elect", false,
		"Enable leader election for controller manager. "+
			"Enabling this will ensure there is only one active controller manager.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true,
		"If set, the metrics endpoint is served securely via HTTPS. Use --metrics-secure=false to use HTTP instead.")
	flag.StringVar(&webhookCertPath, "webhook-cert-path", "", "The directory that contains the webhook certificate.")
	flag.StringVar(&webhookCertName, "webhook-cert-name", "tls.crt", "The name of the webhook certificate file.")
	flag.StringVar(&webhookCertKey, "webhook-cert-key", "tls.key", "The name of the webhook key file.")
	flag.IntVar(&webhookPort, "webhook-port", 9443, "Port the webhook server listens on. "+
		"Defaults to 9443. Set -1 to disable the webhook server.")
	flag.StringVar(&metricsCertPath, "metrics-cert-path", "",
		"The directory that contains the metrics server certificate.")
	flag.StringVar(&metricsCertName, "metrics-cert-name", "tls.crt", "The name of the metrics server certificate file.")
	flag.StringVar(&metricsCertKey, "metrics-cert-key", "tls.key", "The name of the metrics server key file.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "0",
		"The address Go's pprof profiles are served on (/debug/pprof/), for measuring memory and CPU. \"0\" (the default) serves none.")
	flag.StringVar(&githubAPIURL, "github-api-url", controller.DefaultAPIURL,
		"The GitHub REST API base URL used by pipelines without spec.github.apiURL "+
			"(e.g. https://github.example.com/api/v3/ for GitHub Enterprise Server).")
	flag.DurationVar(&syncPeriod, "sync-period", controller.DefaultSyncPeriod,
		"How often an unchanged SecurePipeline is compared with GitHub, to detect and revert drift.")
	flag.StringVar(&watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces to watch for SecurePipelines and Secrets; empty watches all namespaces.")
	flag.StringVar(&watchLabelSelector, "watch-label-selector", "",
		"Label selector of the SecurePipelines and SecurePipelineSets this manager manages, to shard a fleet "+
			"across managers, e.g. 'sharding.securepipeline.dev/key in (shard1)'; the default shard is "+
			"'!sharding.securepipeline.dev/key'. Empty manages all.")
	flag.StringVar(&leaderElectionID, "leader-election-id", "201ae3c5.securepipeline.dev",
		"The leader election Lease's name; every shard needs its own.")
	flag.StringVar(&claimsNamespace, "repository-claims-namespace", os.Getenv("POD_NAMESPACE"),
		"Namespace of the Leases that keep one owner per repository across shards (the manager's own, "+
			"where users have no access); empty turns the claims off, which is only safe with a single shard.")
	flag.IntVar(&maxConcurrentReconciles, "max-concurrent-reconciles", 4,
		"How many SecurePipelines are reconciled at once (requests with one GitHub token are serialised regardless).")
	flag.IntVar(&githubCacheBytes, "github-cache-bytes", githubapi.DefaultCacheBytes,
		"Bytes of GitHub answers cached per GitHub identity, so that unchanged reads are free 304s; "+
			"about 20 KiB per repository of a fleet sharing the identity.")
	flag.IntVar(&githubPointsPerMinute, "github-points-per-minute", githubapi.DefaultPointsPerMinute,
		"Request budget per GitHub identity in GitHub's secondary-rate-limit points per minute (a read 1, a write 5), "+
			"shared by every pipeline using the identity; rotations and drift reverts go first.")
	flag.Float64Var(&memoryLimitRatio, "memory-limit-ratio", 0.9,
		"Sets the Go runtime's soft memory limit to this share of the container's memory limit (cgroup), so that "+
			"the garbage collector works harder before the manager is killed; GOMEMLIMIT, if set, wins; 0 turns it off.")
	flag.DurationVar(&pageReleaseInterval, "executable-page-release-interval", 30*time.Second,
		"How often the manager gives the kernel back the pages of its own executable it has resident (code that "+
			"only start-up or a cold start ran stays resident otherwise); the pages still in use come back at "+
			"their next use. 0 turns it off. Linux only.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false,
		"If set, HTTP/2 will be enabled for the metrics and webhook servers")
	opts := zap.Options{
		Development: true,
	}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()

	if pprofAddr == "" || pprofAddr == "0" {
		// Nothing can read a heap profile without the pprof server, and keeping one costs the runtime's
		// table of sampled call stacks: about 2 MiB resident at 1,000 repositories (MemStats.BuckHashSys).
		goruntime.MemProfileRate = 0
	}

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))

	if limit, source, err := memlimit.Set(memoryLimitRatio); err != nil {
		setupLog.Error(err, "Not setting a Go memory limit")
	} else if limit > 0 {
		setupLog.Info("Go memory limit set from the container's", "GOMEMLIMIT", limit, "ratio", memoryLimitRatio, "from", source)
	}

	// The default server follows the same rules as spec.github.apiURL (https, or plain http only to a
	// literal loopback address): refused here, it would stall every pipeline without an apiURL instead.
	if _, err := githubapi.ParseServer(githubAPIURL); err != nil {
		setupLog.Error(err, "--github-api-url is not a usable GitHub API URL", "url", githubAPIURL)
		os.Exit(1)
	}

	// if the enable-http2 flag is false (the default), http/2 should be disabled
	// due to its vulnerabilities. More specifically, disabling http/2 will
	// prevent from being vulnerable to the HTTP/2 Stream Cancellation and
	// Rapid Reset CVEs. For more information see:
	// - https://github.com/advisories/GHSA-qppj-fm5r-hxr3
	// - https://github.com/advisories/GHSA-4374-p667-p6c8
	disableHTTP2 := func(c *tls.Config) {
		setupLog.Info("Disabling HTTP/2")
		c.NextProtos = []string{"http/1.1"}
	}

	if !enableHTTP2 {
		tlsOpts = append(tlsOpts, disableHTTP2)
	}

	// Initial webhook TLS options
	webhookTLSOpts := tlsOpts
	webhookServerOptions := webhook.Options{
		TLSOpts: webhookTLSOpts,
		Port:    webhookPort,
	}

	if len(webhookCertPath) > 0 {
		setupLog.Info("Initializing webhook certificate watcher using provided certificates",
			"webhook-cert-path", webhookCertPath, "webhook-cert-name", webhookCertName, "webhook-cert-key", webhookCertKey)

		webhookServerOptions.CertDir = webhookCertPath
		webhookServerOptions.CertName = webhookCertName
		webhookServerOptions.KeyName = webhookCertKey
	}

	webhookServer := webhook.NewServer(webhookServerOptions)

	// Metrics endpoint is enabled in 'config/default/kustomization.yaml'. The Metrics options configure the server.
	// More info:
	// - https://pkg.go.dev/sigs.k8s.io/controller-runtime@v0.25.0/pkg/metrics/server
	// - https://book.kubebuilder.io/reference/metrics.html
	metricsServerOptions := metricsserver.Options{
		BindAddress:   metricsAddr,
		SecureServing: secureMetrics,
		TLSOpts:       tlsOpts,
	}

	if secureMetrics {
		// Only a scraper whose token the API server authenticates (TokenReview) and authorizes for GET /metrics
		// (SubjectAccessReview; config/rbac/metrics_reader_role.yaml) reads the metrics. metricsauth does what
		// controller-runtime's filters.WithAuthenticationAndAuthorization does, without k8s.io/apiserver.
		metricsServerOptions.FilterProvider = metricsauth.WithAuthenticationAndAuthorization
	}

	// If the certificate is not specified, controller-runtime will automatically
	// generate self-signed certificates for the metrics server. While convenient for development and testing,
	// this setup is not recommended for production.
	//
	// TODO(user): If you enable certManager, uncomment the following lines:
	// - [METRICS-WITH-CERTS] at config/default/kustomization.yaml to generate and use certificates
	// managed by cert-manager for the metrics server.
	// - [PROMETHEUS-WITH-CERTS] at config/prometheus/kustomization.yaml for TLS certification.
	if len(metricsCertPath) > 0 {
		setupLog.Info("Initializing metrics certificate watcher using provided certificates",
			"metrics-cert-path", metricsCertPath, "metrics-cert-name", metricsCertName, "metrics-cert-key", metricsCertKey)

		metricsServerOptions.CertDir = metricsCertPath
		metricsServerOptions.CertName = metricsCertName
		metricsServerOptions.KeyName = metricsCertKey
	}

	if strings.TrimSpace(watchLabelSelector) != "" && claimsNamespace == "" {
		setupLog.Error(nil, "--watch-label-selector (a shard) needs --repository-claims-namespace (or POD_NAMESPACE): "+
			"without claims two shards could both manage one repository")
		os.Exit(1)
	}
	cacheOpts, err := cacheOptions(watchNamespaces, watchLabelSelector)
	if err != nil {
		setupLog.Error(err, "Invalid --watch-label-selector")
		os.Exit(1)
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:        scheme,
		Metrics:       metricsServerOptions,
		WebhookServer: webhookServer,
		Cache:         controller.SecretSafeCacheOptions(cacheOpts),
		Client: client.Options{Cache: &client.CacheOptions{
			// Secret data is never cached: the reconciler reads the few Secrets it needs uncached, and
			// watches Secrets as metadata only.
			DisableFor: []client.Object{&corev1.Secret{}},
		}},
		Controller: config.Controller{MaxConcurrentReconciles: maxConcurrentReconciles},
		// client-go's event correlator keeps 4,096 entries in each of its three LRUs (aggregation, spam
		// filter, dedup), each about 1 KB (an aggregation record keeps up to ten messages): a
		// 1,000-pipeline fleet fills them, 5.5 MiB of a 32 MiB heap, and at 1,024 still 3 MiB of 19. The
		// objects that emit events often (what the spam filter is for) stay in 256; one that falls out
		// only starts afresh: its next event is created rather than counted into its last.
		// The field is deprecated for managers shorter-lived than their process; this one is the process.
		EventBroadcaster: record.NewBroadcaster(record.WithCorrelatorOptions(record.CorrelatorOptions{ //nolint:staticcheck // see above
			LRUCacheSize: eventCorrelatorEntries,
		})),
		HealthProbeBindAddress: probeAddr,
		PprofBindAddress:       pprofAddr,
		LeaderElection:         enableLeaderElection,
		LeaderElectionID:       leaderElectionID,
		// LeaderElectionReleaseOnCancel defines if the leader should step down voluntarily
		// when the Manager ends. This requires the binary to immediately end when the
		// Manager is stopped, otherwise, this setting is unsafe. Setting this significantly
		// speeds up voluntary leader transitions as the new leader don't have to wait
		// LeaseDuration time first.
		//
		// In the default scaffold provided, the program ends immediately after
		// the manager stops, so would be fine to enable this option. However,
		// if you are doing or is intended to do any operation such as perform cleanups
		// after the manager stops then its usage might be unsafe.
		// LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		setupLog.Error(err, "Failed to start manager")
		os.Exit(1)
	}

	// One factory for pipelines and sets: a set and its children share each identity's cache and budget.
	stats := controller.NewSyncStats(nil)
	gh := githubapi.NewFactory(githubapi.FactoryOptions{
		UserAgent: "secure-pipeline-operator", CacheBytes: githubCacheBytes, PointsPerMinute: githubPointsPerMinute,
	})
	if err := (&controller.SecurePipelineReconciler{
		Client:          mgr.GetClient(),
		Scheme:          mgr.GetScheme(),
		APIReader:       mgr.GetAPIReader(),
		Recorder:        mgr.GetEventRecorderFor("securepipeline-controller"), //nolint:staticcheck // see the field's comment
		GitHub:          gh,
		DefaultAPIURL:   githubAPIURL,
		SyncPeriod:      syncPeriod,
		ClaimsNamespace: claimsNamespace,
		Stats:           stats,
	}).SetupWithManager(mgr); err != nil {
		setupLog.Error(err, "Failed to create controller", "controller", "securepipeline")
		os.Exit(1)
	}
	if err := (&controller.SecurePipelineSetReconciler{
		Client:    mgr.GetClient(),
		Scheme:    mgr.GetScheme(),
		APIReader: mgr.GetAPIReader(),
		//nolint:staticcheck // see SecurePipelineReconciler.Recorder
		Recorder:      mgr.GetEventRecorderFor("securepipelineset-controller"),
		GitHub:        gh,
		DefaultAPIURL: githubAPIURL,
		Stats:         stats,
		SyncPeriod:    syncPeriod,
	}).SetupWithManager(mgr); err != nil {
		setupLog.Error(err, "Failed to create controller", "controller", "securepipelineset")
		os.Exit(1)
	}
	// +kubebuilder:scaffold:builder

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "Failed to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		setupLog.Error(err, "Failed to set up ready check")
		os.Exit(1)
	}

	if err := mgr.Add(memlimit.PageReleaser{Interval: pageReleaseInterval, Log: ctrl.Log.WithName("memory")}); err != nil {
		setupLog.Error(err, "Failed to set up the executable's page release")
		os.Exit(1)
	}

	setupLog.Info("Starting manager")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "Failed to run manager")
		os.Exit(1)
	}
}

// cacheOptions restricts the informer caches to the namespaces in --watch-namespaces, if any, and the
// pipelines and sets to those --watch-label-selector selects (a shard). Secrets are not filtered by the
// selector: a shard's pipelines read whichever Secrets they name.
func cacheOptions(watchNamespaces, watchLabelSelector string) (cache.Options, error) {
	opts := cache.Options{}
	for ns := range strings.SplitSeq(watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if opts.DefaultNamespaces == nil {
				opts.DefaultNamespaces = map[string]cache.Config{}
			}
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	if strings.TrimSpace(watchLabelSelector) != "" {
		sel, err := labels.Parse(watchLabelSelector)
		if err != nil {
			return opts, fmt.Errorf("parsing --watch-label-selector %q: %w", watchLabelSelector, err)
		}
		opts.ByObject = map[client.Object]cache.ByObject{
			&civ1alpha1.SecurePipeline{}:    {Label: sel},
			&civ1alpha1.SecurePipelineSet{}: {Label: sel},
		}
	}
	return opts, nil
}
