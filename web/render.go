package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/compress"
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
	h := c.Response().Header()
	// Pages are written in the language the browser asks for, and gzipped
	// for a browser that takes it.
	h.Add("Vary", "Accept-Language")
	h.Add("Vary", "Accept-Encoding")
	body := buf.Bytes()
	if buf.Len() >= compress.MinSize && compress.Negotiate(c.Request().Header.Get("Accept-Encoding"), "gzip") != "" {
		zipped := buffers.Get().(*bytes.Buffer)
		zipped.Reset()
		defer buffers.Put(zipped)
		compress.Gzip(zipped, body, gzip.BestSpeed)
		body = zipped.Bytes()
		h.Set(echo.HeaderContentEncoding, "gzip")
	}
	// Known length: no chunked framing around a page already in memory.
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.HTMLBlob(status, body)
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
