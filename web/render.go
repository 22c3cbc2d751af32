package web

import (
	"bytes"
	"fmt"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render renders c into a buffer first, so that a failing template becomes
// a clean 500 instead of half a page under a 200.
func render(c echo.Context, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("web: render %s: %w", c.Path(), err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}
