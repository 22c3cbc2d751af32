package web

import (
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/views/format"
)

// zoneCookie holds the technician's time zone, an IANA name that app.js
// reads from the browser. Without it (no JavaScript yet) times are UTC.
const zoneCookie = "assistdesk_tz"

// localClock puts the clock and the technician's time zone in the request's
// context, for the views to write times the one way.
func localClock(now func() time.Time) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			zone := time.UTC
			if ck, err := c.Cookie(zoneCookie); err == nil {
				zone = zoneNamed(ck.Value)
			}
			r := c.Request()
			c.SetRequest(r.WithContext(format.With(r.Context(), format.Clock{Now: now, Zone: zone})))
			return next(c)
		}
	}
}

// zones are the time zones loaded so far: a few hundred names at most,
// each read once from the embedded database.
var zones sync.Map

// zoneNamed is the zone of an IANA name, or UTC for anything that is not
// one. The name comes from a cookie, so it is checked before it is looked
// up (letters, digits and / _ - + only: no path tricks), and a made-up
// name is never remembered.
func zoneNamed(name string) *time.Location {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	if len(name) == 0 || len(name) > 64 || !validZoneName(name) {
		return time.UTC
	}
	z, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return time.UTC
	}
	zones.Store(name, z)
	return z
}

func validZoneName(name string) bool {
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '/' || r == '_' || r == '-' || r == '+') {
			return false
		}
	}
	return name[0] != '/'
}
