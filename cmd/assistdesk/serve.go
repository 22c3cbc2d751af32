package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
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
	for _, w := range startupWarnings(cfg) {
		logger.Warn(w)
	}
	go portalMemory.follow(ctx)
	return serveUntilDone(ctx, ln, portalMemory.count(p.handler), cfg.ShutdownGrace)
}

// startupWarnings are what a configuration leaves open on purpose, said
// once at start so that an operator sees it in the log.
func startupWarnings(cfg *config.Config) []string {
	var out []string
	if cfg.MetricsToken == "" {
		out = append(out, "/metrics answers anyone who can reach this instance: set ASSISTDESK_METRICS_TOKEN, or keep the port private")
	}
	if cfg.AllowHTTP && !cfg.Secure() {
		out = append(out, "the public URL "+cfg.PublicURL.String()+" is plain http (ASSISTDESK_ALLOW_HTTP): the session cookie is not Secure and there is no HSTS")
	}
	return out
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
	// The idle timeout is auth.Service's: scs's own would rewrite the
	// session on every request.
	s.Cookie.Name = "assistdesk_session"
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Path = "/"
	// No Max-Age: the cookie ends with the browser, so a shared PC's next
	// user does not inherit the session; the server's idle timeout and
	// lifetime bound it while the browser stays open.
	s.Cookie.Persist = false
	if cfg.Secure() {
		// __Host- binds the cookie to this exact host over https.
		s.Cookie.Name = "__Host-assistdesk_session"
		s.Cookie.Secure = true
	}
	return s
}

// Server timeouts. Each bounds what one slow or hostile client can hold.
const (
	// readHeaderTimeout: browsers and proxies send headers at once; a
	// client that dribbles them (slowloris) loses its connection.
	readHeaderTimeout = 5 * time.Second
	// readTimeout covers headers and body; bodies are forms of at most
	// 64 KiB, which take nowhere near this long.
	readTimeout = 30 * time.Second
	// writeTimeout runs from the end of the headers to the end of the
	// response, so it bounds the slowest handler. An assistance request
	// answers before any wait (the rest goes on in the background), but may
	// make up to three Graph calls first (a script run's device, a resend
	// after a token renewal, a route-2 fallback), and a CSV export of a long
	// trail streams for a while. Cut short, a response could be lost after
	// Graph acted.
	writeTimeout = 3*graphTimeout + time.Minute
	// idleTimeout closes kept-alive connections nobody uses; it is longer
	// than the reverse proxy's own idle timeout (deploy/Caddyfile: 90 s), so
	// the proxy, not the portal, closes a pooled connection, and never
	// sends a request down one the portal is closing.
	idleTimeout = 120 * time.Second
)

// serveUntilDone serves until ctx ends, then shuts down: the listener
// closes at once (new connections are refused, and a load balancer moves
// on), and in-flight requests get grace to finish. Whatever is still
// running then is cut off, so that a stuck request cannot hold back a
// redeploy. net/http also waits (up to 5 s) for connections that have not
// sent a request yet, such as a browser's preconnects; cutting only those
// off is a clean shutdown, so requests are counted to tell the two apart.
// maxHeaderBytes bounds a request's line and headers together: a URL or a
// header past it is answered 431.
const maxHeaderBytes = 32 << 10

func serveUntilDone(ctx context.Context, ln net.Listener, handler http.Handler, grace time.Duration) error {
	var inFlight atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes - 4096, // net/http reads 4 KiB beyond it before refusing
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
		srv.Close()
		if n := inFlight.Load(); n > 0 {
			return fmt.Errorf("shutdown: %d in-flight request(s) outlived the %s grace: %w", n, grace, err)
		}
		return nil
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
