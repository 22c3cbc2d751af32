// Command assistdesk is the helpdesk portal: `serve` in production, `demo`
// to try it on one machine, `healthcheck` for containers.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	// The technician's time zone is read from the embedded database: the
	// container image has none of its own.
	_ "time/tzdata"

	"github.com/assistdesk/assistdesk/internal/config"
)

func main() {
	if runsPortal(os.Args[1:]) {
		portalMemory = tuneGC(os.Getenv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "assistdesk:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// runsPortal says whether the command runs the portal, whose collector
// tuneGC tunes. Not the simulator's: its large tenant alone holds some
// 300 MB, which the portal's soft limit would have it collect without
// pause (make bench measured its pages 3.5× slower).
func runsPortal(args []string) bool {
	return len(args) > 0 && (args[0] == "serve" || args[0] == "demo")
}

// tuneGC trades memory the portal has to spare for CPU: a page view
// allocates a few tens of kilobytes that die at once, and the default
// GOGC=100 collects after every few hundred of them. A soft memory limit
// keeps the process under 64 MB at rest however large that headroom would
// grow over the live heap (the read cache alone may hold 16 MiB), and
// grows with the requests in flight (memoryRoom); the collector works
// harder only when the heap nears it. GOGC and GOMEMLIMIT in the
// environment still win.
func tuneGC(getenv func(string) string) *memoryRoom {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") != "" {
		return nil
	}
	debug.SetMemoryLimit(restingLimit)
	return new(memoryRoom)
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and output, so tests can call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		usage(stdout)
		return fmt.Errorf("%w: name a command", errUsage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "demo":
		return demo(ctx, args[1:], getenv, stdout)
	case "graphsim":
		return runGraphsim(ctx, args[1:], stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	usage(stdout)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `assistdesk: a helpdesk portal that requests Intune remote assistance through Microsoft Graph.

Usage:
  assistdesk demo [-addr 127.0.0.1:8080] [-db URL] [-refuse-routes 1,3,4] [-read-budget 1800] [fault flags]
        run the portal with an embedded OpenID provider and a simulated
        Microsoft Graph on this machine only
  assistdesk graphsim -issuer URL [-addr 127.0.0.1:8090] [-page-size 100] [-refuse-routes 1,3,4] [fault flags]
        run the Graph simulator alone, trusting access tokens from URL

  Fault flags of the simulated Graph (see assistdesk demo -h): -latency, -latency-jitter,
  -fail-rate, -fault-seed, -throttle, -read-limit, -write-limit, -device-fault,
  -session-delay, -teamviewer-status
  assistdesk serve
        run the portal against your identity provider and Microsoft Graph
  assistdesk healthcheck
        exit 0 when the portal on ASSISTDESK_LISTEN_ADDR answers /healthz (for containers)
  assistdesk help
        show this text

Configuration of serve (environment variables):
`)
	_ = config.WriteHelp(w)
}
