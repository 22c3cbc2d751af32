// Package compress encodes responses that are whole in memory: the pages
// the portal renders into a buffer, gzipped per response (every browser
// asks for gzip, and on a 10 KB page a second encoding would save a few
// hundred bytes), and the embedded static files, encoded once at start in
// gzip and in Brotli, which takes a tenth more off htmx than gzip's best.
package compress

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// MinSize is the smallest body worth compressing: below about one packet
// gzip's framing and the work outweigh the bytes saved.
const MinSize = 1400

// Negotiate is the first of codings (in the server's order of preference)
// that an Accept-Encoding header allows: listed, or covered by "*", with a
// q above 0. "" means identity: nothing allowed, or no header at all.
func Negotiate(acceptEncoding string, codings ...string) string {
	q := map[string]float64{}
	for part := range strings.SplitSeq(acceptEncoding, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "x-gzip" {
			coding = "gzip"
		}
		weight := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			var err error
			if weight, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				weight = 0
			}
		}
		if coding != "" {
			q[coding] = weight
		}
	}
	for _, c := range codings {
		w, listed := q[c]
		if !listed {
			w, listed = q["*"]
		}
		if listed && w > 0 {
			return c
		}
	}
	return ""
}

// writers are reused: a gzip writer is some hundreds of kilobytes of
// state, too much to make per page.
var writers = map[int]*sync.Pool{}

func init() {
	for _, level := range []int{gzip.BestSpeed, gzip.BestCompression} {
		writers[level] = &sync.Pool{New: func() any {
			w, _ := gzip.NewWriterLevel(nil, level)
			return w
		}}
	}
}

// Gzip appends src, gzipped at level (gzip.BestSpeed for what is
// compressed per response, gzip.BestCompression for what is compressed
// once), to dst.
func Gzip(dst *bytes.Buffer, src []byte, level int) {
	pool, ok := writers[level]
	if !ok {
		panic("compress: no writers for level " + strconv.Itoa(level))
	}
	w := pool.Get().(*gzip.Writer)
	w.Reset(dst)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(src)
	_ = w.Close()
	pool.Put(w)
}

// Brotli appends src, Brotli-encoded at its best (slow: for what is
// encoded once), to dst.
func Brotli(dst *bytes.Buffer, src []byte) {
	w := brotli.NewWriterLevel(dst, brotli.BestCompression)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(src)
	_ = w.Close()
}
