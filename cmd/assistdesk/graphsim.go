package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// runGraphsim runs the Graph simulator alone, for pointing a portal (or a
// test) at it. It trusts the access tokens of one OpenID issuer.
func runGraphsim(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("graphsim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address (loopback only)")
	issuer := fs.String("issuer", "", "OpenID issuer whose access tokens are accepted (required)")
	pageSize := fs.Int("page-size", 100, "items per page of a collection")
	refuse := fs.String("refuse-routes", "", "comma list of requestRemoteAssistance routes (1,3,4) to refuse as routes")
	tenantName := fs.String("tenant", "demo", "tenant to serve: demo (a few hundred users) or large (100,000 users, 250,000 devices)")
	var faults graphsim.Faults
	faults.RegisterFlags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !isLoopbackIP(host) {
		return fmt.Errorf("%w: -addr must be a loopback IP and port, got %q", errUsage, *addr)
	}
	if *issuer == "" {
		return fmt.Errorf("%w: -issuer is required", errUsage)
	}
	routes, err := parseRoutes(*refuse)
	if err != nil {
		return fmt.Errorf("%w: -refuse-routes: %v", errUsage, err)
	}
	if *pageSize < 1 || *pageSize > 1000 {
		return fmt.Errorf("%w: -page-size must be 1–1000", errUsage)
	}
	tenant, err := graphsim.TenantByName(*tenantName, time.Now())
	if err != nil {
		return fmt.Errorf("%w: -tenant: %v", errUsage, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("graphsim: %w", err)
	}
	base := "http://" + ln.Addr().String()
	sim, err := graphsim.New(graphsim.Config{BaseURL: base, Issuer: *issuer, Tenant: tenant, PageSize: *pageSize, RefuseRoutes: routes, Faults: faults})
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "Graph simulator on %s (tokens from %s). Ctrl-C stops it.\n", base, *issuer)
	err = serveUntilDone(ctx, ln, sim.Handler(), time.Second)
	writeSummary(stdout, sim, faults.WriteLimit.Window, faults.ReadLimit.Window)
	return err
}

// writeSummary says, as the simulator stops, what reached it: the most
// writes it received in any one window of the write limit, whatever their
// answer, how many of them the write limit refused, and the actions it
// executed; then the most requests one app sent to Intune in any one
// window of the read limit, whatever their answer, and how many of them
// the read limit refused. A load test compares the first with the portal's
// write budget and the fourth with Intune's 2,000 requests per 20 s
// (assistdesk-bench reads this line; new figures go at its end).
func writeSummary(w io.Writer, sim *graphsim.Server, window, readWindow time.Duration) {
	if window == 0 {
		window = 20 * time.Second // WritesInWindow's without a write limit: Intune's
	}
	if readWindow == 0 {
		readWindow = 20 * time.Second // IntuneRequestsInWindow's without a read limit
	}
	limited := 0
	for _, r := range sim.Requests() {
		if r.Fault == "write-limit" {
			limited++
		}
	}
	fmt.Fprintf(w, "Graph simulator stopped: at most %d writes received in any %s window; %d refused by the write limit; %d requestRemoteAssistance executed; "+
		"at most %d Intune requests received from one app in any %s window; %d refused by the read limit\n",
		sim.WritesInWindow(), window, limited, len(sim.Actions()),
		sim.IntuneRequestsInWindow(), readWindow, sim.ReadLimited())
}

// parseRoutes reads "1,3" into route numbers that can be refused.
func parseRoutes(s string) ([]int, error) {
	var routes []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || (n != 1 && n != 3 && n != 4) {
			return nil, fmt.Errorf("%q is not a refusable route (1, 3 or 4)", f)
		}
		routes = append(routes, n)
	}
	return routes, nil
}
