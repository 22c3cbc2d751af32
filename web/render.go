package web

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// buffers are reused between renders: a page is tens of kilobytes, and
// growing a fresh buffer for each one is work the collector then undoes.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps an exceptionally large page's buffer out of the pool.
const maxPooled = 1 << 20

// render renders c into a buffer first, so that a failing template becomes
// a clean 500 instead of half a page under a 200.
func render(c echo.Context, status int, page templ.Component) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooled {
			buffers.Put(buf)
		}
	}()
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("web: render %s: %w", c.Path(), err)
	}
	// Pages are written in the language the browser asks for.
	c.Response().Header().Add("Vary", "Accept-Language")
	// Known length: no chunked framing around a page already in memory.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// isFragment decides, for every URL that serves both, whether htmx asked
// for a fragment: a plain htmx request does; a boosted navigation or a
// history restore wants the whole page.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	c.Response().Header().Add("Vary", "HX-Request")
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true" &&
		h.Get("HX-History-Restore-Request") != "true"
}
