package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/views/format"
)

// An answer written after a long wait (Graph's 30 s timeout on a request
// for assistance) says how long ago things happened as of its writing,
// not as of the request's arrival: "30 seconds ago", not "just now".
func TestTimesAreSaidAsOfTheAnswer(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 11, 27, 44, 0, time.UTC)}
	e := echo.New()
	e.Use(localClock(clock.now))
	e.GET("/", func(c echo.Context) error {
		sent := clock.now()
		clock.advance(30 * time.Second) // Graph never answered
		return c.String(http.StatusOK, format.Ago(c.Request().Context(), sent))
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := rec.Body.String(); got != "30 seconds ago" {
		t.Fatalf("a request sent 30 s before the answer: %q, want %q", got, "30 seconds ago")
	}
}
