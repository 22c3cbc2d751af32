package compress

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestNegotiateReadsTheBrowsersHeader(t *testing.T) {
	for header, want := range map[string]string{
		"gzip, deflate, br, zstd": "br",
		"br;q=1.0, gzip;q=0.8":    "br",
		"GZIP":                    "gzip",
		"x-gzip":                  "gzip",
		"*":                       "br",
		"":                        "",
		"identity":                "",
		"zstd":                    "",
		"br;q=0, gzip":            "gzip",
		"gzip;q=0":                "",
		"gzip;q=0.0, br":          "br",
		"gzip;q=banana":           "",
		"xgzip":                   "",
		"br;q=0, *":               "gzip",
	} {
		if got := Negotiate(header, "br", "gzip"); got != want {
			t.Errorf("Negotiate(%q, br, gzip) = %q, want %q", header, got, want)
		}
	}
	if got := Negotiate("gzip, br", "gzip"); got != "gzip" {
		t.Errorf("with gzip alone offered: %q", got)
	}
}

func TestGzipRoundTrips(t *testing.T) {
	page := []byte(strings.Repeat("<p>Intune accepted the request.</p>\n", 300))
	for _, level := range []int{gzip.BestSpeed, gzip.BestCompression} {
		var buf bytes.Buffer
		Gzip(&buf, page, level)
		if buf.Len() >= len(page)/5 {
			t.Errorf("level %d: %d bytes from %d", level, buf.Len(), len(page))
		}
		r, err := gzip.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, page) {
			t.Fatalf("level %d: the page does not come back: %v", level, err)
		}
	}
}

func TestBrotliRoundTrips(t *testing.T) {
	page := []byte(strings.Repeat("<p>Intune accepted the request.</p>\n", 300))
	var buf bytes.Buffer
	Brotli(&buf, page)
	got, err := io.ReadAll(brotli.NewReader(&buf))
	if err != nil || !bytes.Equal(got, page) {
		t.Fatalf("the page does not come back: %v", err)
	}
}
