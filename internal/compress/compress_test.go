package compress

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestAcceptsReadsTheBrowsersHeader(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip, deflate, br, zstd": true,
		"br;q=1.0, gzip;q=0.8":    true,
		"GZIP":                    true,
		"*":                       true,
		"":                        false,
		"identity":                false,
		"br, zstd":                false,
		"gzip;q=0":                false,
		"gzip;q=0.0, br":          false,
		"gzip;q=banana":           false,
		"xgzip":                   false,
	} {
		if got := Accepts(header); got != want {
			t.Errorf("Accepts(%q) = %v, want %v", header, got, want)
		}
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
