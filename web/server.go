// Package web is the portal's HTTP layer: routes, handlers, middleware and
// the one place that renders views.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readcache"
	"github.com/assistdesk/assistdesk/internal/writebudget"
)

// Deps is everything the HTTP layer needs, built by main.
type Deps struct {
	Auth      *auth.Service
	Sessions  *scs.SessionManager
	PublicURL *url.URL
	// IssuerURL is the identity provider; the CSP lets forms (sign-out)
	// continue there.
	IssuerURL string
	Graph     *graph.Client
	Audit     *audit.Trail
	// Budget shares Intune's write limit between instances; MaxWait bounds
	// how long an assistance request waits for it or for Graph's 429s, and
	// GraphTimeout how long one Graph call may take.
	Budget                *writebudget.Budget
	MaxWait, GraphTimeout time.Duration
	Logger                *slog.Logger
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// AssistRateLimit is assistance requests per technician per minute;
	// SignInRateLimit is sign-in starts per client IP per minute.
	AssistRateLimit, SignInRateLimit int
	// Metrics records the portal's Prometheus series; nil gets a fresh
	// registry without the active-sessions gauge.
	Metrics *Metrics
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// Ready is what /readyz checks besides the process being alive.
	Ready []ReadyCheck
	// ReadCache keeps each technician's Graph reads for a short while; nil
	// reads Graph for every page.
	ReadCache *readcache.Cache
	// FormKey signs the device facts a page sends back with a request for
	// assistance: at least 32 random bytes, the same on every instance.
	FormKey []byte
}

// New builds the portal's HTTP handler.
func New(d Deps) http.Handler {
	if len(d.FormKey) < 32 {
		panic("web: Deps.FormKey must hold at least 32 bytes")
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(nil, d.Logger)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	registerRoutes(e, d)
	return portal{e}
}

// portal is the portal's handler: Echo, which answers HEAD as GET.
type portal struct{ echo *echo.Echo }

// ServeHTTP answers HEAD as GET without a body, as HTTP expects of every
// GET route: Echo routes a GET, and the body it writes goes nowhere; the
// headers, Content-Length included, are the GET's.
func (p portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodHead {
		p.echo.ServeHTTP(w, r)
		return
	}
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	p.echo.ServeHTTP(headersOnly{w}, get)
}

// headersOnly is a response whose body is dropped.
type headersOnly struct{ http.ResponseWriter }

func (h headersOnly) Write(p []byte) (int, error) { return len(p), nil }
