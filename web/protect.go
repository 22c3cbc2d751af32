package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/views/format"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// forgeryGuard refuses state-changing requests that another site could
// have made the browser send: first by the browser's own word
// (Sec-Fetch-Site, Origin: net/http's CrossOriginProtection), then by the
// session's anti-forgery token, which only the portal's pages know.
func forgeryGuard(publicOrigin string, tokenOf func(c echo.Context) string) echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	// Behind a proxy the Host header may differ from the public name.
	_ = cop.AddTrustedOrigin(publicOrigin)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if err := cop.Check(r); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, i18n.M("forgery.crossSite"))
			}
			want := tokenOf(c)
			if want == "" {
				// No session, nothing to forge a request for.
				return next(c)
			}
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue("csrf_token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return echo.NewHTTPError(http.StatusForbidden, i18n.M("forgery.token"))
			}
			return next(c)
		}
	}
}

// clientIP is the address of the browser: the connection's peer, or, when
// that peer is a trusted proxy, the right-most address in X-Forwarded-For
// that is not itself a trusted proxy. Anything to the left of that was
// written by the client and proves nothing.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := remoteAddr(r)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return peer.String()
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// tooMany answers a request over its rate limit, saying when to retry;
// limit is the message that names what was too many.
func tooMany(c echo.Context, wait time.Duration, limit string) error {
	c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())))
	return echo.NewHTTPError(http.StatusTooManyRequests, i18n.M(limit, format.Duration(wait)))
}

// bodyLimit answers 413 to a body larger than n bytes, whatever its
// framing: the body is read here, whole, before any handler runs, so a
// chunked body that turns out too large is refused rather than cut off,
// which would leave a handler reading an empty form and going ahead.
func bodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			if r.Body == nil || r.Body == http.NoBody {
				return next(c)
			}
			body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, n))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			case err != nil:
				return echo.NewHTTPError(http.StatusBadRequest, i18n.M("problem.unreadableBody"))
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			return next(c)
		}
	}
}
