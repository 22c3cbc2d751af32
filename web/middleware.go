package web

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// requestLog writes one line per request. It logs the route pattern, never
// the query string, which can carry codes and states during sign-in.
func requestLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			attrs := []slog.Attr{
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
			}
			if noted, ok := c.Get(noteKey).(error); ok {
				attrs = append(attrs, slog.String("error", noted.Error()))
			}
			level := slog.LevelInfo
			switch {
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
				strings.HasPrefix(r.URL.Path, "/healthz") {
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
