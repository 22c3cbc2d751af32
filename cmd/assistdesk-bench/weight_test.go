package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestPageAssets(t *testing.T) {
	markup := `<!doctype html><html><head>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css?v=abc">
<link rel="preconnect" href="https://cdn.example/">
<link rel="stylesheet" href="http://elsewhere.example/static/other.css">
<script src="/static/htmx.min.js?v=def" defer></script>
<script src="../static/app.js?v=123#x" defer></script>
<script>inline()</script>
<link rel="preload" href="/static/app.css?v=abc">
<link rel="alternate" href="/users/other">
</head><body><a href="/static/not-linked.css">a link is not fetched</a></body></html>`
	got, err := pageAssets("http://127.0.0.1:8080/users/adele.vance@contoso.example", []byte(markup))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"http://127.0.0.1:8080/static/app.css?v=abc",
		"http://127.0.0.1:8080/static/htmx.min.js?v=def",
		"http://127.0.0.1:8080/static/app.js?v=123",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pageAssets =\n%q\nwant\n%q", got, want)
	}
}

func TestHeaderBytes(t *testing.T) {
	resp := &http.Response{Proto: "HTTP/1.1", Status: "200 OK", Header: http.Header{
		"Content-Type": {"text/css"},
		"Vary":         {"Accept-Encoding", "Accept-Language"},
	}}
	wire := "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nVary: Accept-Encoding\r\nVary: Accept-Language\r\n\r\n"
	if got := headerBytes(resp); got != len(wire) {
		t.Fatalf("headerBytes = %d, want %d", got, len(wire))
	}
}

func TestStaticProblems(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   []string // substrings, one per problem
	}{
		{"cacheable forever by anyone", http.Header{
			"Vary": {"Accept-Encoding"}, "Cache-Control": {"public, max-age=31536000, immutable"}}, nil},
		{"varies by cookie", http.Header{
			"Vary": {"Accept-Encoding", "cookie"}, "Cache-Control": {"public, max-age=31536000, immutable"}}, []string{"Vary: cookie"}},
		{"cookie in a list", http.Header{
			"Vary": {"Accept-Encoding, Cookie"}, "Cache-Control": {"max-age=31536000, Immutable"}}, []string{"Vary: Accept-Encoding, Cookie"}},
		{"revalidated", http.Header{"Cache-Control": {"no-cache"}}, []string{`Cache-Control: "no-cache"`}},
		{"no header at all", http.Header{}, []string{`Cache-Control: ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := staticProblems(tt.header)
			if len(got) != len(tt.want) {
				t.Fatalf("staticProblems = %q, want %d problem(s)", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}
