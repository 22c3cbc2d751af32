package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthz says the process is alive; it checks nothing else on purpose.
func healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}
