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

	"github.com/assistdesk/assistdesk/internal/config"
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
	p, err := newPortal(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer p.Close()
	logger.Info("portal listening", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL.String()),
		slog.String("instance", cfg.InstanceName))
	return serveUntilDone(ctx, ln, p.handler, cfg.ShutdownGrace)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
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

// newSessions keeps sessions in the database; the browser holds only an
// opaque id in a cookie that scripts cannot read.
func newSessions(cfg *config.Config, store scs.Store) *scs.SessionManager {
	s := scs.New()
	s.Store = store
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
