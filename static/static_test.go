package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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

func TestAssetsAreGzippedForBrowsersThatAsk(t *testing.T) {
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
	plain, zipped := get(""), get("gzip, deflate, br, zstd")
	if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding: %q without asking, %q asking for gzip",
			plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"))
	}
	r, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("the gzipped file is not the file: %v", err)
	}
	if zipped.Body.Len() > plain.Body.Len()/2 {
		t.Errorf("htmx gzipped is %d bytes of %d", zipped.Body.Len(), plain.Body.Len())
	}
	for _, rec := range []*httptest.ResponseRecorder{plain, zipped} {
		if vary := rec.Header().Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("Vary %q, want Accept-Encoding alone", vary)
		}
	}
	if plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
		t.Error("the two encodings share an ETag")
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
