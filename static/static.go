// Package static embeds the portal's stylesheet and scripts and serves them
// under content-hashed URLs, so browsers may cache them for a year and still
// see a new file the moment it changes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

// hashes maps each file name to the first hex digits of its SHA-256.
var hashes = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:])[:12]
	}
	return m
}()

// Path is the URL of an embedded file, versioned by its content. It panics
// on a name that is not embedded: that is a programming error caught by any
// test that renders a page.
func Path(name string) string {
	h, ok := hashes[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return "/static/" + name + "?v=" + h
}

// Handler serves /static/NAME. A request carrying the current version may
// be cached forever; any other is served but revalidated.
func Handler() http.Handler {
	server := http.FileServerFS(files)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean(strings.TrimPrefix(r.URL.Path, "/"))
		h, ok := hashes[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r.URL.Path = name
		server.ServeHTTP(w, r)
	}))
}
