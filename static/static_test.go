package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestVersionedAssetsAreCachedForeverAndOthersRevalidated(t *testing.T) {
	h := Handler()
	versioned := Path("app.css")
	if !strings.HasPrefix(versioned, "/static/app.css?v=") {
		t.Fatalf("Path = %q", versioned)
	}
	tests := []struct {
		url, cache string
		status     int
	}{
		{versioned, "public, max-age=31536000, immutable", http.StatusOK},
		{"/static/app.css?v=stale", "no-cache", http.StatusOK},
		{"/static/missing.css", "", http.StatusNotFound},
		{"/static/../static.go", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.url, nil))
		if rec.Code != tt.status || rec.Header().Get("Cache-Control") != tt.cache {
			t.Errorf("%s: %d %q, want %d %q", tt.url, rec.Code, rec.Header().Get("Cache-Control"), tt.status, tt.cache)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, versioned, nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestAssetsAreEncodedAsBrowsersAsk(t *testing.T) {
	h := Handler()
	get := func(encoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, Path("htmx-2.0.11.min.js"), nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	plain, zipped, brotlied := get(""), get("gzip"), get("gzip, deflate, br, zstd")
	if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" ||
		brotlied.Header().Get("Content-Encoding") != "br" {
		t.Fatalf("Content-Encoding: %q without asking, %q asking for gzip, %q asking as Chromium does",
			plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"), brotlied.Header().Get("Content-Encoding"))
	}
	gz, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{"gzip": gz, "br": brotli.NewReader(bytes.NewReader(brotlied.Body.Bytes()))} {
		decoded, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(decoded, plain.Body.Bytes()) {
			t.Fatalf("the %s file is not the file: %v", name, err)
		}
	}
	if zipped.Body.Len() > plain.Body.Len()/2 || brotlied.Body.Len() >= zipped.Body.Len() {
		t.Errorf("htmx is %d bytes, gzipped %d, in Brotli %d", plain.Body.Len(), zipped.Body.Len(), brotlied.Body.Len())
	}
	for _, rec := range []*httptest.ResponseRecorder{plain, zipped, brotlied} {
		if vary := rec.Header().Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("Vary %q, want Accept-Encoding alone", vary)
		}
	}
	if tags := map[string]bool{plain.Header().Get("ETag"): true, zipped.Header().Get("ETag"): true, brotlied.Header().Get("ETag"): true}; len(tags) != 3 {
		t.Error("two encodings share an ETag")
	}
	// A browser revalidating what it has gets 304.
	req := httptest.NewRequest(http.MethodGet, Path("app.css"), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("If-None-Match", `"`+strings.TrimPrefix(Path("app.css"), "/static/app.css?v=")+`-gzip"`)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the current tag: %d, want 304", rec.Code)
	}
}
