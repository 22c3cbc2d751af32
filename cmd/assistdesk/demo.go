package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"text/tabwriter"
	"time"

	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/devidp"
)

const demoClientID = "assistdesk-demo"

// demo runs the embedded OpenID provider and the portal on loopback. The
// portal is configured through the same config.Load as `serve`, so the demo
// exercises the production code path with only the URLs changed.
func demo(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "portal address (loopback only; port 0 picks a free one)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !isLoopbackIP(host) {
		return fmt.Errorf("%w: -addr must be a loopback IP and port such as 127.0.0.1:8080, got %q", errUsage, *addr)
	}
	portalLn, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s (is another demo running? try -addr 127.0.0.1:0): %w", *addr, err)
	}
	defer portalLn.Close()
	idpLn, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return fmt.Errorf("demo: listen for the identity provider: %w", err)
	}
	defer idpLn.Close()

	publicURL := "http://" + portalLn.Addr().String()
	issuer := "http://" + idpLn.Addr().String()
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
		return err
	}

	demoEnv := map[string]string{
		"ASSISTDESK_LISTEN_ADDR":        portalLn.Addr().String(),
		"ASSISTDESK_PUBLIC_URL":         publicURL,
		"ASSISTDESK_OIDC_ISSUER":        issuer,
		"ASSISTDESK_OIDC_CLIENT_ID":     demoClientID,
		"ASSISTDESK_OIDC_CLIENT_SECRET": secret,
		"ASSISTDESK_ALLOWED_ROLES":      devidp.RoleTechnician,
		"ASSISTDESK_AUDITOR_ROLES":      devidp.RoleAuditor,
		"ASSISTDESK_LOG_FORMAT":         firstNonEmpty(getenv("ASSISTDESK_LOG_FORMAT"), "text"),
		"ASSISTDESK_LOG_LEVEL":          getenv("ASSISTDESK_LOG_LEVEL"),
	}
	cfg, err := config.Load(func(k string) string { return demoEnv[k] })
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger := newLogger(cfg, stdout)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idpDone := make(chan error, 1)
	go func() { idpDone <- serveUntilDone(ctx, idpLn, idp.Handler(), time.Second) }()

	handler, err := newPortal(ctx, cfg, logger)
	if err != nil {
		return err
	}
	printBanner(stdout, publicURL, devidp.DemoPeople())
	portalErr := serveUntilDone(ctx, portalLn, handler, cfg.ShutdownGrace)
	cancel()
	return errors.Join(portalErr, <-idpDone)
}

func printBanner(w io.Writer, publicURL string, people []devidp.Person) {
	fmt.Fprintf(w, "\nassistdesk demo is running. Open:\n\n    %s/\n\nSign in by picking one of these people on the demo provider's page:\n\n", publicURL)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range people {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", p.Name, p.Username, p.Description)
	}
	tw.Flush()
	fmt.Fprint(w, "\nPress Ctrl-C to stop.\n\n")
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
