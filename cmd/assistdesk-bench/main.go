// Command assistdesk-bench measures the portal against its performance
// targets with the portal, the Graph simulator and the load generator in
// separate processes: `assistdesk serve` on CPU 0, `assistdesk graphsim`
// and this program (load generator and the demo OpenID provider) on CPU 1.
// It prints a table of figures against targets; a missed target is
// reported, not fatal, and only a failed setup exits non-zero.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "assistdesk-bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	assistdesk string
	clients    int
	duration   time.Duration
	warmup     time.Duration
	baseline   time.Duration
	latency    time.Duration
	sessions   int
	noPin      bool
	logLevel   string
	keep       bool

	largeClients  int
	largeDuration time.Duration
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("assistdesk-bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.assistdesk, "assistdesk", "bin/assistdesk", "path of the assistdesk binary to measure")
	fs.IntVar(&o.clients, "clients", 64, "concurrent technicians, each with its own signed-in session")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "length of the measured user-page phase")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured load before each measured phase")
	fs.DurationVar(&o.baseline, "baseline", 5*time.Second, "length of each baseline phase (/login, /healthz)")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "the simulated Graph's latency (graphsim -latency)")
	fs.IntVar(&o.sessions, "sessions", 1000, "signed-in sessions held when the portal's memory is read")
	fs.BoolVar(&o.noPin, "no-pin", false, "do not pin processes to CPUs with taskset")
	fs.StringVar(&o.logLevel, "log-level", "info", "the portal's ASSISTDESK_LOG_LEVEL (info, as in production, logs every request)")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, database) instead of removing it")
	fs.IntVar(&o.largeClients, "large-clients", 16, "concurrent technicians in the large-tenant phase (0 skips it)")
	fs.DurationVar(&o.largeDuration, "large-duration", 8*time.Second, "length of each measured large-tenant phase")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.clients < 1 || o.sessions < o.clients || o.duration <= 0 || o.latency <= 0 || o.largeClients < 0 || o.largeDuration <= 0 {
		return o, fmt.Errorf("need -clients ≥ 1, -sessions ≥ -clients, -large-clients ≥ 0, positive -duration, -large-duration and -latency")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	pin := choosePinning(o.noPin)
	if err := pin.pinSelf(); err != nil {
		return err
	}
	machine := describeMachine()
	fmt.Fprintf(stdout, "machine: %s\n", machine)
	if pin.taskset != "" {
		fmt.Fprintln(stdout, "pinning: portal on CPU 0; Graph simulator, load generator and demo OpenID provider on CPU 1")
	} else {
		fmt.Fprintf(stdout, "pinning: none (%s)\n", pin.reason)
	}

	rows, err := inEnvironment(ctx, o, pin, simulator{tenant: "demo", latency: o.latency}, stdout, measure)
	if err != nil {
		return err
	}
	if o.largeClients > 0 {
		// A second system: the large tenant takes a second to build, and
		// without Graph latency the ratio is the portal's own overhead.
		fmt.Fprintln(stdout, "large tenant: starting a portal and a simulator with -tenant large -latency 0…")
		large, err := inEnvironment(ctx, o, pin, simulator{tenant: "large"}, stdout, measureLarge)
		if err != nil {
			return err
		}
		rows = append(rows, large...)
	}
	fmt.Fprintf(stdout, "\n%s\n\n", machine)
	if err := writeTable(stdout, rows); err != nil {
		return err
	}
	if n := failures(rows); n > 0 {
		fmt.Fprintf(stdout, "\n%d figure(s) missed their target (reported, not fatal).\n", n)
	}
	return nil
}

// inEnvironment starts a system with the given simulator, measures it with
// f, and stops it.
func inEnvironment(ctx context.Context, o options, pin pinning, sim simulator, stdout io.Writer,
	f func(context.Context, options, *environment, io.Writer) ([]row, error)) ([]row, error) {
	env, err := startEnvironment(ctx, o, pin, sim, stdout)
	if err != nil {
		return nil, err
	}
	defer env.close(o.keep, stdout)
	return f(ctx, o, env, stdout)
}
