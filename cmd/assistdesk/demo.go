package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

const demoClientID = "assistdesk-demo"

// demo runs the embedded OpenID provider, the Graph simulator and the
// portal on loopback. The portal is configured through the same
// config.Load as `serve`, so the demo exercises the production code path
// with only the URLs changed.
func demo(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "portal address (loopback only; port 0 picks a free one)")
	refuse := fs.String("refuse-routes", "", "comma list of requestRemoteAssistance routes (1,3,4) the simulated Graph refuses as routes")
	db := fs.String("db", "", "database URL (default: a new SQLite file in a temporary directory, removed at exit)")
	readBudget := fs.Int("read-budget", 0, "Intune reads the portal allows itself per 20 s (default ASSISTDESK_READ_BUDGET's 1800); a few show pages saying Intune is busy")
	var faults graphsim.Faults
	faults.RegisterFlags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	routes, err := parseRoutes(*refuse)
	if err != nil {
		return fmt.Errorf("%w: -refuse-routes: %v", errUsage, err)
	}
	if *readBudget < 0 {
		return fmt.Errorf("%w: -read-budget must not be negative", errUsage)
	}
	stack, err := startDemo(ctx, demoOptions{Addr: *addr, RefuseRoutes: routes, DatabaseURL: *db, Faults: faults, ReadBudget: *readBudget}, getenv, stdout)
	if err != nil {
		return err
	}
	printBanner(stdout, stack.PortalURL, devidp.DemoPeople())
	return stack.Wait()
}

// demoOptions are the demo's knobs.
type demoOptions struct {
	Addr         string
	RefuseRoutes []int
	// Tenant replaces the simulator's demo tenant (tests use a hostile one).
	Tenant *graphsim.Tenant
	// DatabaseURL is where the portal keeps sessions and the audit trail;
	// "" is a fresh SQLite file removed when the demo stops.
	DatabaseURL string
	// Faults are the simulated Graph's injected faults.
	Faults graphsim.Faults
	// ReadBudget is the portal's Intune reads per 20 s; 0 is the default.
	ReadBudget int
}

// demoStack is a running demo: the portal's URL and the two stand-ins,
// which tests inspect.
type demoStack struct {
	PortalURL string
	IdP       *devidp.Provider
	Graph     *graphsim.Server
	done      chan error
}

// Wait blocks until the demo has stopped and returns why.
func (s *demoStack) Wait() error { return <-s.done }

// startDemo starts the three servers and returns once all of them listen;
// they stop when ctx ends.
func startDemo(ctx context.Context, opts demoOptions, getenv func(string) string, stdout io.Writer) (stack *demoStack, err error) {
	cleanup := func() {}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil || !isLoopbackIP(host) {
		return nil, fmt.Errorf("%w: -addr must be a loopback IP and port such as 127.0.0.1:8080, got %q", errUsage, opts.Addr)
	}
	portalLn, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("demo: listen on %s (is another demo running? try -addr 127.0.0.1:0): %w", opts.Addr, err)
	}
	listeners := []net.Listener{portalLn}
	closeAll := func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}
	listen := func() (net.Listener, error) {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err == nil {
			listeners = append(listeners, ln)
		}
		return ln, err
	}
	idpLn, err := listen()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("demo: listen for the identity provider: %w", err)
	}
	graphLn, err := listen()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("demo: listen for the Graph simulator: %w", err)
	}

	publicURL := "http://" + portalLn.Addr().String()
	issuer := "http://" + idpLn.Addr().String()
	graphURL := "http://" + graphLn.Addr().String()
	secret := rand.Text()
	idp, err := devidp.New(devidp.Config{
		Issuer:        issuer,
		TenantID:      devidp.DemoTenantID(),
		GraphAudience: "https://graph.microsoft.com",
		Clients: []devidp.Client{{
			ID:                     demoClientID,
			Secret:                 secret,
			RedirectURIs:           []string{publicURL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{publicURL + "/login?signed_out=1"},
		}},
		People: devidp.DemoPeople(),
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	sim, err := graphsim.New(graphsim.Config{BaseURL: graphURL, Issuer: issuer, RefuseRoutes: opts.RefuseRoutes, Tenant: opts.Tenant, Faults: opts.Faults})
	if err != nil {
		closeAll()
		return nil, err
	}

	databaseURL := opts.DatabaseURL
	if databaseURL == "" {
		dir, err := os.MkdirTemp("", "assistdesk-demo-")
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("demo: %w", err)
		}
		defer func() {
			if err != nil {
				os.RemoveAll(dir)
			}
		}()
		cleanup = func() { os.RemoveAll(dir) }
		databaseURL = "sqlite:" + filepath.Join(dir, "assistdesk.db")
	}
	// The demo tells its own ticket inbox what becomes of requests made
	// from a ticket, as a ticket system would be told.
	ticketSecret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	tickets, err := newInbox(ticketSecret)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("demo: %w", err)
	}
	demoEnv := map[string]string{
		"ASSISTDESK_TICKET_WEBHOOK_URL":           publicURL + inboxPath,
		"ASSISTDESK_TICKET_WEBHOOK_SECRET":        ticketSecret,
		"ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE": "true",
		"ASSISTDESK_DATABASE_URL":                 databaseURL,
		"ASSISTDESK_TOKEN_KEY":                    base64.StdEncoding.EncodeToString(randomBytes(32)),
		"ASSISTDESK_INSTANCE_NAME":                "demo",
		"ASSISTDESK_LISTEN_ADDR":                  portalLn.Addr().String(),
		"ASSISTDESK_PUBLIC_URL":                   publicURL,
		"ASSISTDESK_OIDC_ISSUER":                  issuer,
		"ASSISTDESK_OIDC_CLIENT_ID":               demoClientID,
		"ASSISTDESK_OIDC_CLIENT_SECRET":           secret,
		"ASSISTDESK_GRAPH_URL":                    graphURL,
		"ASSISTDESK_ALLOWED_ROLES":                devidp.RoleTechnician,
		"ASSISTDESK_AUDITOR_ROLES":                devidp.RoleAuditor,
		"ASSISTDESK_LOG_FORMAT":                   firstNonEmpty(getenv("ASSISTDESK_LOG_FORMAT"), "text"),
		"ASSISTDESK_LOG_LEVEL":                    getenv("ASSISTDESK_LOG_LEVEL"),
	}
	if opts.ReadBudget > 0 {
		demoEnv["ASSISTDESK_READ_BUDGET"] = strconv.Itoa(opts.ReadBudget)
	}
	cfg, err := config.Load(func(k string) string { return demoEnv[k] })
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("demo: %w", err)
	}
	logger := newLogger(cfg, stdout)

	ctx, cancel := context.WithCancel(ctx)
	idpDone := make(chan error, 1)
	go func() { idpDone <- serveUntilDone(ctx, idpLn, idp.Handler(), time.Second) }()
	graphDone := make(chan error, 1)
	go func() { graphDone <- serveUntilDone(ctx, graphLn, sim.Handler(), time.Second) }()

	p, err := newPortal(ctx, cfg, logger)
	if err != nil {
		cancel()
		portalLn.Close()
		return nil, errors.Join(err, <-idpDone, <-graphDone)
	}
	stack = &demoStack{PortalURL: publicURL, IdP: idp, Graph: sim, done: make(chan error, 1)}
	site := http.NewServeMux()
	site.Handle(inboxPath, tickets)
	site.Handle("/", p.handler)
	go portalMemory.follow(ctx)
	go func() {
		err := serveUntilDone(ctx, portalLn, portalMemory.count(site), cfg.ShutdownGrace)
		cancel()
		err = errors.Join(err, <-idpDone, <-graphDone, p.Close())
		cleanup()
		stack.done <- err
	}()
	logger.Debug("demo started", slog.String("issuer", issuer), slog.String("graph", graphURL))
	return stack, nil
}

func printBanner(w io.Writer, publicURL string, people []devidp.Person) {
	fmt.Fprintf(w, "\nassistdesk demo is running. Open:\n\n    %s/\n\nSign in by picking one of these people on the demo provider's page:\n\n", publicURL)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range people {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", p.Name, p.Username, p.Description)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nThen search for a user, e.g. \"adele\", and request assistance on one of their devices.\n"+
		"Requests made from a ticket (open %s/users/adele.vance@contoso.example?ticket=INC-1) are reported to\n"+
		"the demo's ticket inbox: %s%s\nPress Ctrl-C to stop.\n\n", publicURL, publicURL, inboxPath)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
