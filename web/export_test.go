package web

import (
	"github.com/labstack/echo/v4"
)

// Routes lists what the portal routes, for the test that every route but
// the public ones is guarded.
func Routes(h any) []*echo.Route { return h.(*echo.Echo).Routes() }
