// Command githubsim runs the GitHub REST API simulator as a standalone
// server, for demos, manual testing with curl and e2e environments that
// cannot link the simulator into their process.
//
// It prints GITHUB_API_URL=<url> and GITHUB_SIM_ADMIN_TOKEN=<token> on
// start (so a shell can eval them) and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/secure-pipeline/operator/test/githubsim"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("githubsim: %v", err)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on; loopback by default because the simulator has no real security")
	seed := flag.String("seed", "", "YAML or JSON seed file (users, orgs, teams, repos, tokens, apps, installations, files)")
	adminToken := flag.String("admin-token", "", "bearer token for the /_sim/ admin API (default: random)")
	rateLimit := flag.Int("rate-limit", 5000, "primary rate limit per token per hour")
	maxConcurrent := flag.Int("max-concurrent", 0, "secondary limit: requests in flight per token (0 = unlimited)")
	perMinute := flag.Int("per-minute", 0, "secondary limit: requests per token per minute (0 = unlimited)")
	tokenTTL := flag.Duration("installation-token-ttl", time.Hour, "lifetime of GitHub App installation tokens")
	ghesNoAdminBypass := flag.Bool("ghes-without-admin-bypass", false,
		"behave like an older GitHub Enterprise Server: environments have no can_admins_bypass, and a PUT with it is refused with 422")
	flag.Parse()

	opts := []githubsim.Option{
		githubsim.WithAdminToken(*adminToken),
		githubsim.WithPrimaryRateLimit(*rateLimit),
		githubsim.WithSecondaryLimits(*maxConcurrent, *perMinute),
		githubsim.WithInstallationTokenTTL(*tokenTTL),
	}
	if *ghesNoAdminBypass {
		opts = append(opts, githubsim.WithoutAdminBypassSetting())
	}
	sim := githubsim.New(opts...)
	if *seed != "" {
		sd, err := githubsim.LoadSeedFile(*seed)
		if err != nil {
			return err
		}
		if _, err := sim.ApplySeed(sd); err != nil {
			return fmt.Errorf("applying seed %s: %w", *seed, err)
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("GITHUB_API_URL=http://%s/\n", ln.Addr())
	fmt.Printf("GITHUB_SIM_ADMIN_TOKEN=%s\n", sim.AdminToken())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
