package web

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readbudget"
)

// requestLog writes one line per request and records its duration. It
// logs the route pattern, never the URL: query strings carry codes and
// states during sign-in, and paths carry people's names. The request id
// ties the line to the browser's report (it is echoed in X-Request-Id)
// and to the proxy's log, when a trusted proxy sent one.
func requestLog(logger *slog.Logger, metrics *Metrics, trusted []netip.Prefix) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			id := requestID(c.Request(), trusted)
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			elapsed := time.Since(start)
			metrics.observeRequest(c.Request().Method, c.Path(), status, elapsed)
			attrs := []slog.Attr{
				slog.String("request_id", id),
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.Int("status", status),
				slog.Duration("duration", elapsed),
			}
			if t, ok := c.Get(technicianKey).(auth.Technician); ok && t.ObjectID != "" {
				attrs = append(attrs, slog.String("technician_oid", t.ObjectID))
			}
			noted, _ := c.Get(noteKey).(error)
			if noted != nil {
				attrs = append(attrs, slog.String("error", noted.Error()))
				attrs = append(attrs, graphIDs(noted)...)
			}
			var busy *readbudget.Busy
			level := slog.LevelInfo
			switch {
			case errors.As(noted, &busy):
				// The read budget answered as designed: a sign of load for
				// the operator, not a fault of the portal's.
				level = slog.LevelWarn
			case status == statusClientGone:
				// The browser left before the answer: as ordinary as a
				// page read, and logged as one.
			case status >= 500:
				level = slog.LevelError
			case status >= 400:
				level = slog.LevelWarn
			}
			logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		}
	}
}

// graphIDs are the ids Microsoft support asks for about a failed call.
func graphIDs(err error) []slog.Attr {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return []slog.Attr{slog.String("graph_request_id", ge.RequestID), slog.String("client_request_id", ge.ClientRequestID)}
	}
	var te *graph.TransportError
	if errors.As(err, &te) {
		return []slog.Attr{slog.String("client_request_id", te.ClientRequestID)}
	}
	return nil
}

// requestID is the X-Request-Id a trusted proxy sent, or a new one. From
// anyone else the header is ignored, and so is one that is long or holds
// characters beyond an id's, so that a client cannot forge log lines or
// pass itself off as another request.
func requestID(r *http.Request, trusted []netip.Prefix) string {
	if id := r.Header.Get(echo.HeaderXRequestID); isTrusted(remoteAddr(r), trusted) && isRequestID(id) {
		return id
	}
	return rand.Text()
}

func isRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// canonicalHost sends a browser that arrived on the other loopback name
// (localhost vs 127.0.0.1) to the public URL's host, so that the session
// cookie, which belongs to one host name, is never split between two.
// Other host names are left alone: behind a reverse proxy the Host header
// is the proxy's business.
func canonicalHost(public *url.URL) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			host := hostOnly(r.Host)
			if host == public.Hostname() || !isLoopbackName(host) || !isLoopbackName(public.Hostname()) ||
				isOpsPath(r.URL.Path) {
				return next(c)
			}
			target := *public
			target.Path = r.URL.Path
			target.RawPath = r.URL.RawPath
			target.RawQuery = r.URL.RawQuery
			return c.Redirect(http.StatusPermanentRedirect, target.String())
		}
	}
}

// isOpsPath: probes and scrapers address an instance by whatever name
// reaches it, and follow no redirects.
func isOpsPath(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// securityHeaders sets a strict Content-Security-Policy (htmx is loaded as
// a file and configured through a meta tag, so no inline script or style
// is needed) and the usual hardening headers. form-action names the
// identity provider because signing out redirects a form POST there. HSTS
// follows the public URL, not a request header a client could forge.
func securityHeaders(issuer string, https bool) echo.MiddlewareFunc {
	formAction := "'self'"
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action " + formAction + "; base-uri 'none'; frame-ancestors 'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			if https {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			return next(c)
		}
	}
}
