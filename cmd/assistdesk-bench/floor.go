package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// floorCommand is the hidden subcommand that serves the floor.
const floorCommand = "floor"

// serveFloor is `assistdesk-bench floor -listen ADDR -page FILE -path PATH`:
// the least a portal page can cost, a bare Echo server answering PATH with
// the markup in FILE through a templ component, with no middleware, until
// ctx ends.
func serveFloor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(floorCommand, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	pageFile := fs.String("page", "", "file holding the page's markup, as the portal served it")
	path := fs.String("path", "/", "path to serve it on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	markup, err := os.ReadFile(*pageFile)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	srv := &http.Server{Addr: *listen, Handler: floorHandler(*path, string(markup)), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}

// floorHandler answers GET path with markup as a templ page is answered:
// the component rendered by an Echo handler into c.Response(). The length
// is known, as the portal's rendered pages state theirs.
func floorHandler(path, markup string) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	page, length := floorPage(markup), strconv.Itoa(len(markup))
	e.GET(path, func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		h.Set(echo.HeaderContentLength, length)
		c.Response().WriteHeader(http.StatusOK)
		return page.Render(c.Request().Context(), c.Response())
	})
	return e
}

// startFloor starts the floor on CPU 0, as the portal, serving markup on
// path, with the portal's collector settings (cmd/assistdesk's tuneGC),
// and waits until it answers.
func startFloor(ctx context.Context, env *environment, markup []byte, path string) (server, error) {
	self, err := os.Executable()
	if err != nil {
		return server{}, err
	}
	file := filepath.Join(env.dir, "floor.html")
	if err := os.WriteFile(file, markup, 0o600); err != nil {
		return server{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		return server{}, err
	}
	cmd := env.pin.command(0, self, floorCommand, "-listen", addr, "-page", file, "-path", path)
	cmd.Env = append(os.Environ(), "GOGC=400", "GOMEMLIMIT=40MiB")
	p, err := start("floor", cmd, filepath.Join(env.dir, "floor.log"))
	if err != nil {
		return server{}, err
	}
	url := "http://" + addr
	if err := waitFor(ctx, p, url+path, http.StatusOK, 10*time.Second); err != nil {
		p.stop()
		return server{}, err
	}
	return server{url, p}, nil
}
