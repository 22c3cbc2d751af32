package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/web"
)

// serve runs the portal for real: configuration from the environment,
// sign-in at the configured provider.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	handler, err := newPortal(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	logger.Info("portal listening", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL.String()))
	return serveUntilDone(ctx, ln, handler, cfg.ShutdownGrace)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newPortal builds every dependency of the HTTP layer. Discovery happens
// here, so a wrong issuer stops the start instead of every sign-in.
func newPortal(ctx context.Context, cfg *config.Config, logger *slog.Logger) (http.Handler, error) {
	rp, err := auth.NewRelyingParty(ctx, auth.RelyingPartyConfig{
		Issuer:       cfg.OIDCIssuer,
		ClientID:     cfg.OIDCClientID,
		ClientSecret: cfg.OIDCClientSecret,
		RedirectURL:  cfg.RedirectURL(),
		Scopes:       cfg.OIDCScopes,
		HTTPClient:   &http.Client{Timeout: 15 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	graphClient, err := graph.New(cfg.GraphURL, newGraphHTTPClient(), graphTimeout)
	if err != nil {
		return nil, err
	}
	sessions := newSessions(cfg)
	policy := auth.Policy{
		TechnicianRoles:  cfg.AllowedRoles,
		TechnicianGroups: cfg.AllowedGroups,
		AuditorRoles:     cfg.AuditorRoles,
		AuditorGroups:    cfg.AuditorGroups,
		AllowAnyUser:     cfg.AllowAnyUser,
	}
	return web.New(web.Deps{
		Auth:      auth.NewService(rp, sessions, policy),
		Sessions:  sessions,
		PublicURL: cfg.PublicURL,
		IssuerURL: cfg.OIDCIssuer,
		Graph:     graphClient,
		Logger:    logger,

		TrustedProxies:  cfg.TrustedProxies,
		AssistRateLimit: cfg.AssistRateLimit,
		SignInRateLimit: cfg.SignInRateLimit,
	}), nil
}

// graphTimeout bounds one Graph call. Graph answers in well under a
// second; a call that takes this long is treated as failed (for an action,
// its outcome is unknown).
const graphTimeout = 30 * time.Second

// newGraphHTTPClient keeps connections to Graph alive: every page view makes
// one to three calls, and a TLS handshake per call would dominate them.
func newGraphHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// newSessions keeps sessions on the server; the browser holds only an
// opaque id in a cookie that scripts cannot read.
func newSessions(cfg *config.Config) *scs.SessionManager {
	s := scs.New()
	s.Lifetime = cfg.SessionMaxAge
	s.IdleTimeout = cfg.SessionIdleTimeout
	s.Cookie.Name = "assistdesk_session"
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Path = "/"
	if cfg.Secure() {
		// __Host- binds the cookie to this exact host over https.
		s.Cookie.Name = "__Host-assistdesk_session"
		s.Cookie.Secure = true
	}
	return s
}

// serveUntilDone serves until ctx ends, then gives in-flight requests
// grace to finish.
func serveUntilDone(ctx context.Context, ln net.Listener, handler http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
