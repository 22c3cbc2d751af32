package static

import (
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
