// Package compress gzips responses that are whole in memory: the pages
// the portal renders into a buffer, and the embedded static files, once.
// The standard library's gzip suffices: every browser asks for it, and at
// these sizes (a 10 KB page) a second encoding saves a few hundred bytes.
package compress

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
	"sync"
)

// MinSize is the smallest body worth compressing: below about one packet
// gzip's framing and the work outweigh the bytes saved.
const MinSize = 1400

// Accepts reports whether an Accept-Encoding header allows gzip: listed
// (or "*") without q=0. A missing header allows nothing but identity.
func Accepts(acceptEncoding string) bool {
	for part := range strings.SplitSeq(acceptEncoding, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err != nil || v == 0 {
				continue
			}
		}
		return true
	}
	return false
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
