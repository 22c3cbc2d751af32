package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/brotli"
)

// browserEncodings is what a current browser's Accept-Encoding offers.
const browserEncodings = "gzip, deflate, br, zstd"

// firstPageLimit is the target for the first signed-in page on the wire.
const firstPageLimit = 30 << 10

// onWire is one response as it crossed the wire.
type onWire struct {
	name     string // the file's name, or the page's path
	encoding string // Content-Encoding, "" for none
	body     int    // as sent: compressed when it was
	headers  int    // status line and headers, approximately
	header   http.Header
}

// firstPage weighs what a browser with an empty cache fetches for the
// first page after signing in (the page and every same-origin static file
// it links), through a signed-in session (jar), and checks that the static
// files may be cached by anyone, forever.
func firstPage(portal, page string, jar http.CookieJar) ([]row, error) {
	// Asking for an encoding ourselves keeps net/http from decoding the
	// answer: what is read is what was sent.
	c := &http.Client{Jar: jar, Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	pageURL := portal + page
	first, markup, err := fetch(c, pageURL)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	assets, err := pageAssets(pageURL, markup)
	if err != nil {
		return nil, err
	}
	all := []onWire{first}
	var problems []string
	for _, a := range assets {
		w, _, err := fetch(c, a)
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		all = append(all, w)
		for _, p := range staticProblems(w.header) {
			problems = append(problems, w.name+": "+p)
		}
	}
	total, bodies, parts := 0, 0, []string{}
	for _, w := range all {
		total += w.body + w.headers
		bodies += w.body
		parts = append(parts, fmt.Sprintf("%s %.1f KB %s", w.name, kb(w.body), cmp.Or(w.encoding, "uncompressed")))
	}
	verdict := "every one"
	if len(problems) > 0 {
		verdict = strings.Join(problems, "; ")
	}
	return []row{
		check(fmt.Sprintf("first signed-in page on the wire: %s and the %d static files it links (Accept-Encoding: %s), bodies as sent + response headers (approximately)",
			page, len(assets), browserEncodings),
			fmt.Sprintf("%.1f KB (%d B: bodies %d B + headers ~%d B; %s)", kb(total), total, bodies, total-bodies, strings.Join(parts, ", ")),
			total <= firstPageLimit, fmt.Sprintf("≤ 30 KB (%d B)", firstPageLimit)),
		check(fmt.Sprintf("static files of the page (%d): Vary without Cookie, Cache-Control immutable", len(assets)),
			verdict, len(problems) == 0 && len(assets) > 0, "every one"),
	}, nil
}

// fetch GETs u as a browser does and returns what crossed the wire, and
// the body decoded.
func fetch(c *http.Client, u string) (onWire, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return onWire{}, nil, err
	}
	req.Header.Set("Accept-Encoding", browserEncodings)
	resp, err := c.Do(req)
	if err != nil {
		return onWire{}, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return onWire{}, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return onWire{}, nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	w := onWire{name: path.Base(req.URL.Path), encoding: resp.Header.Get("Content-Encoding"), body: len(raw),
		headers: headerBytes(resp), header: resp.Header}
	switch w.encoding {
	case "":
		return w, raw, nil
	case "gzip":
		z, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return w, nil, fmt.Errorf("GET %s: %w", u, err)
		}
		plain, err := io.ReadAll(z)
		return w, plain, err
	case "br":
		plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(raw)))
		return w, plain, err
	default:
		return w, nil, fmt.Errorf("GET %s: Content-Encoding %q, which the bench does not decode", u, w.encoding)
	}
}

// headerBytes is about the size of a response's status line and headers in
// HTTP/1.1: as net/http parsed them, which leaves out Transfer-Encoding
// (the portal states lengths rather than chunking).
func headerBytes(resp *http.Response) int {
	n := len(resp.Proto) + 1 + len(resp.Status) + 2 // "HTTP/1.1 200 OK\r\n"
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2 // "Key: value\r\n"
		}
	}
	return n + 2 // the blank line
}

// pageAssets are the URLs of the stylesheets, scripts and icons a page
// links (<link href>, <script src>) on its own origin under /static/, in
// order, each once.
func pageAssets(pageURL string, markup []byte) ([]string, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(markup))
	if err != nil {
		return nil, err
	}
	var assets []string
	seen := map[string]bool{}
	doc.Find("link[href], script[src]").Each(func(_ int, s *goquery.Selection) {
		ref, ok := s.Attr("href")
		if goquery.NodeName(s) == "script" {
			ref, ok = s.Attr("src")
		}
		u, err := base.Parse(strings.TrimSpace(ref))
		if !ok || err != nil || u.Scheme != base.Scheme || u.Host != base.Host || !strings.HasPrefix(u.Path, "/static/") {
			return
		}
		u.Fragment = ""
		if !seen[u.String()] {
			seen[u.String()] = true
			assets = append(assets, u.String())
		}
	})
	return assets, nil
}

// staticProblems are what keeps a static file from being cached by any
// cache, forever: an answer that varies by Cookie (a shared cache keeps a
// copy per visitor), or a Cache-Control without immutable.
func staticProblems(h http.Header) []string {
	var problems []string
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Cookie") {
				problems = append(problems, "Vary: "+v)
			}
		}
	}
	if cc := h.Get("Cache-Control"); !strings.Contains(strings.ToLower(cc), "immutable") {
		problems = append(problems, fmt.Sprintf("Cache-Control: %q", cc))
	}
	return problems
}
