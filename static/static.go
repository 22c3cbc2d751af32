// Package static embeds the portal's stylesheet and scripts and serves them
// under content-hashed URLs, so browsers may cache them for a year and still
// see a new file the moment it changes. Each is encoded once, in Brotli and
// gzip, when the first handler is made, and served in the encoding the
// browser asks for.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/compress"
)

//go:embed *.css *.js
var files embed.FS

// asset is one embedded file, as it is and in each encoding.
type asset struct {
	hash        string // the first hex digits of its SHA-256
	contentType string
	plain       []byte
	encoded     map[string][]byte // by Content-Encoding
}

// encodings are the Content-Encodings offered, the better first.
var encodings = []string{"br", "gzip"}

// assets are the embedded files with their hashes, which every page's
// links need; their encodings are made by Handler, in the one process
// that serves them (not in a healthcheck or the simulator).
var assets = func() map[string]*asset {
	m := map[string]*asset{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		sum := sha256.Sum256(b)
		m[e.Name()] = &asset{hash: hex.EncodeToString(sum[:])[:12], plain: b, contentType: mime.TypeByExtension(path.Ext(e.Name()))}
	}
	return m
}()

// encode makes each asset's encodings, once: Brotli at its best takes a
// tenth of a second for htmx.
var encode = sync.OnceFunc(func() {
	for _, a := range assets {
		var br, gz bytes.Buffer
		compress.Brotli(&br, a.plain)
		compress.Gzip(&gz, a.plain, gzip.BestCompression)
		a.encoded = map[string][]byte{"br": br.Bytes(), "gzip": gz.Bytes()}
	}
})

// Path is the URL of an embedded file, versioned by its content. It panics
// on a name that is not embedded: that is a programming error caught by any
// test that renders a page.
func Path(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return "/static/" + name + "?v=" + a.hash
}

// Handler serves /static/NAME. A request carrying the current version may
// be cached forever; any other is served but revalidated. The answer
// varies by Accept-Encoding only: nothing here depends on who asks.
func Handler() http.Handler {
	encode()
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean(strings.TrimPrefix(r.URL.Path, "/"))
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if r.URL.Query().Get("v") == a.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("Content-Type", a.contentType)
		h.Add("Vary", "Accept-Encoding")
		body, tag := a.plain, `"`+a.hash+`"`
		if coding := compress.Negotiate(r.Header.Get("Accept-Encoding"), encodings...); coding != "" {
			body, tag = a.encoded[coding], `"`+a.hash+`-`+coding+`"`
			h.Set("Content-Encoding", coding)
		}
		h.Set("ETag", tag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	}))
}
