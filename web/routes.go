package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/ratelimit"
	"github.com/assistdesk/assistdesk/static"
)

// maxBody caps request bodies: the portal's forms carry a token and no more.
const maxBody = 64 << 10

// signInsPerAddress is how many browsers' worth of sign-in starts one
// client address may make: an office behind one NAT address has many
// browsers, a flood has more.
const signInsPerAddress = 10

// registerRoutes is the list of every route the portal serves. Routes
// without the technician guard are the public ones the design lists.
func registerRoutes(e *echo.Echo, d Deps) {
	e.Use(
		requestLog(d.Logger, d.Metrics, d.TrustedProxies),
		canonicalHost(d.PublicURL),
		securityHeaders(d.IssuerURL, d.PublicURL.Scheme == "https"),
		// Language and clock first: every page that follows, refusals
		// of a body too large included, is written with them.
		localLanguage,
		localClock(time.Now),
		bodyLimit(maxBody),
		withSessions(d.Sessions),
	)
	forgery := forgeryGuard(d.PublicURL.String(), func(c echo.Context) string {
		return d.Auth.CSRFToken(c.Request().Context())
	})

	// Public.
	e.GET("/healthz", healthz)
	e.GET("/readyz", newReadiness(d.Ready, readyCacheFor, time.Now).serve)
	e.GET("/metrics", d.Metrics.handler(d.MetricsToken))
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	ipOf := func(c echo.Context) string { return clientIP(c.Request(), d.TrustedProxies) }
	// Pages read Graph through the technician's cached reads.
	reads := cachedGraph{graph: d.Graph, cache: d.ReadCache}
	signIn := &authHandler{
		auth:      d.Auth,
		policy:    d.Auth.Policy(),
		publicURL: d.PublicURL,
		browsers:  ratelimit.New(d.SignInRateLimit, time.Now),
		addresses: ratelimit.New(signInsPerAddress*d.SignInRateLimit, time.Now),
		clientIP:  ipOf,
		reads:     reads,
	}
	e.GET("/language", language(d.PublicURL.Scheme == "https"))
	e.GET("/login", signIn.login)
	e.GET("/auth/callback", signIn.callback)
	e.POST("/logout", signIn.logout, forgery)

	// Technicians. (Middleware per route, not an echo Group: a Group with
	// middleware answers every unknown path, turning 405s into 404s.)
	g := &guard{auth: d.Auth}
	technician := g.technician
	cards := deviceCards{facts: newFactsKey(d.FormKey), trail: d.Audit, now: time.Now}
	connector := newConnectorStates(d.Graph, time.Now)
	search := &searchHandler{graph: reads, tokens: d.Auth, recent: d.Audit, now: time.Now}
	e.GET("/", search.page, technician)
	e.GET("/search", search.results, technician)
	users := &usersHandler{graph: reads, tokens: d.Auth, cards: cards, trail: d.Audit, publicURL: d.PublicURL, connector: connector}
	e.GET("/users/:user", users.page, technician)
	devices := &devicesHandler{graph: reads, tokens: d.Auth, cards: cards, trail: d.Audit, publicURL: d.PublicURL, connector: connector}
	e.GET("/devices/:deviceId", devices.page, technician)
	assist := &assistanceHandler{
		logger:       d.Logger,
		budget:       d.Budget,
		maxWait:      d.MaxWait,
		graphTimeout: d.GraphTimeout,
		metrics:      d.Metrics,
		graph:        d.Graph,
		runs:         d.Graph,
		tokens:       d.Auth,
		trail:        d.Audit,
		now:          time.Now,
		limit:        ratelimit.New(d.AssistRateLimit, time.Now),
		clientIP:     ipOf,
		facts:        newFactsKey(d.FormKey),
		reads:        reads,
	}
	e.POST("/users/:userId/devices/:deviceId/assistance", assist.viaUser, technician, forgery)
	e.POST("/devices/:deviceId/assistance", assist.viaDevice, technician, forgery)
	watch := &watchHandler{trail: d.Audit, graph: d.Graph, tokens: d.Auth, now: time.Now}
	e.GET("/assistance/:attemptId", watch.status, technician)
	scripts := &scriptsHandler{graph: reads, tokens: d.Auth, cards: cards, connector: connector}
	e.GET("/scripts", scripts.list, technician)
	e.GET("/scripts/:scriptId", scripts.script, technician)
	e.GET("/scripts/:scriptId/runs/:runStateId", scripts.run, technician)
	e.GET("/scripts/:scriptId/runs/:runStateId/apps/:appId", scripts.appDevices, technician)
	e.POST("/scripts/:scriptId/runs/:runStateId/assistance", assist.viaScriptRun, technician, forgery)
	e.POST("/scripts/:scriptId/runs/:runStateId/apps/:appId/devices/:deviceId/assistance", assist.viaAppDevice, technician, forgery)

	// Auditors.
	trail := &auditHandler{trail: d.Audit, now: time.Now}
	e.GET("/audit", trail.page, g.auditor)
}

// withSessions loads and saves the session around every request that can
// have one. Static files, health and metrics have none: they skip the
// session store, and their answers do not vary by Cookie (scs says they
// do), so a shared cache may keep one copy of each file for everyone.
//
// A session the store cannot load or save is the portal's failure like
// any other: the error page in the technician's language, the error in the
// request's log line. (scs's own answer is "Internal Server Error" in
// plain text, logged outside the portal's log.)
func withSessions(sm *scs.SessionManager) echo.MiddlewareFunc {
	sm.ErrorFunc = func(_ http.ResponseWriter, r *http.Request, err error) {
		if failed, ok := r.Context().Value(sessionFailureKey{}).(*error); ok {
			*failed = err
		}
	}
	load := echo.WrapMiddleware(sm.LoadAndSave)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withSession := load(next)
		return func(c echo.Context) error {
			switch p := c.Request().URL.Path; {
			case strings.HasPrefix(p, "/static/"), p == "/healthz", p == "/readyz", p == "/metrics":
				return next(c)
			}
			var failed error
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), sessionFailureKey{}, &failed)))
			err := withSession(c)
			if failed != nil {
				// Saving fails as the answer starts, which then goes out
				// without its session: the log line still says why.
				err = fmt.Errorf("web: session store: %w", failed)
				noteError(c, err)
			}
			return err
		}
	}
}

// sessionFailureKey holds where withSessions wants the session store's
// error of a request.
type sessionFailureKey struct{}
