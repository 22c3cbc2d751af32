package web

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/static"
)

// registerRoutes is the list of every route the portal serves. Routes
// without the technician guard are the public ones the design lists.
func registerRoutes(e *echo.Echo, d Deps) {
	e.Use(
		requestLog(d.Logger),
		canonicalHost(d.PublicURL),
		securityHeaders(d.IssuerURL),
		echo.WrapMiddleware(d.Sessions.LoadAndSave),
	)

	// Public.
	e.GET("/healthz", healthz)
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	signIn := &authHandler{auth: d.Auth, publicURL: d.PublicURL}
	e.GET("/login", signIn.login)
	e.GET("/auth/callback", signIn.callback)
	e.POST("/logout", signIn.logout)

	// Technicians. (Middleware per route, not an echo Group: a Group with
	// middleware answers every unknown path, turning 405s into 404s.)
	technician := (&guard{auth: d.Auth}).technician
	search := &searchHandler{graph: d.Graph, tokens: d.Auth}
	e.GET("/", search.page, technician)
	e.GET("/search", search.results, technician)
	users := &usersHandler{graph: d.Graph, tokens: d.Auth, now: time.Now}
	e.GET("/users/:user", users.page, technician)
	devices := &devicesHandler{graph: d.Graph, tokens: d.Auth, now: time.Now}
	e.GET("/devices/:deviceId", devices.page, technician)
	assist := &assistanceHandler{graph: d.Graph, tokens: d.Auth, now: time.Now}
	e.POST("/users/:userId/devices/:deviceId/assistance", assist.viaUser, technician)
	e.POST("/devices/:deviceId/assistance", assist.viaDevice, technician)
}
