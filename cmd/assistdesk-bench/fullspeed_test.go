package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The floor answers its one path with the markup as it was given, its
// length stated, and nothing else.
func TestFloorHandler(t *testing.T) {
	markup := "<!doctype html><p>Adele Vance &amp; <b>4 devices</b></p>"
	srv := httptest.NewServer(floorHandler("/users/adele.vance@contoso.example", markup))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/users/adele.vance@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != markup || resp.ContentLength != int64(len(markup)) ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Content-Length %d, Content-Type %q, body %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Type"), body)
	}
	if resp, err := http.Get(srv.URL + "/users/other"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another path: %v %v", resp, err)
	}
}

// The full-speed clients keep each session's cookies and send no
// Accept-Encoding (net/http's transport adds gzip unless told not to).
func TestPlainClientsSendNoAcceptEncoding(t *testing.T) {
	var (
		mu    sync.Mutex
		seen  []string
		cooks []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Values("Accept-Encoding")...)
		cooks = append(cooks, r.Header.Get("Cookie"))
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		io.WriteString(w, strings.Repeat("page ", 1000))
	}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: http.DefaultTransport, Timeout: time.Second}
	clients, transport := plainClients([]*http.Client{browser}, 8)
	defer transport.CloseIdleConnections()
	if clients[0].Jar != jar || browser.Transport != http.DefaultTransport {
		t.Fatal("plainClients must share the session's jar and leave the browser as it is")
	}
	for range 2 {
		if err := get(clients[0], srv.URL, http.StatusOK); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 0 {
		t.Fatalf("Accept-Encoding sent: %q", seen)
	}
	if !slices.Equal(cooks, []string{"", "s=1"}) {
		t.Fatalf("cookies sent: %q, want the session's", cooks)
	}
}

func TestAgainstFloor(t *testing.T) {
	floor := result{phase: phase{latencies: make([]time.Duration, 1000), elapsed: time.Second}, serverCPU: 30 * time.Millisecond}
	page := func(cpu time.Duration) result {
		return result{phase: phase{latencies: make([]time.Duration, 500), elapsed: time.Second}, serverCPU: cpu}
	}
	r := againstFloor("x", page(75*time.Millisecond), floor, 1000, 5) // 150 µs against 30 µs
	if r.Result != pass || !strings.HasPrefix(r.Measured, "150 µs = 5.0× the floor") ||
		!strings.Contains(r.Measured, "2.00 Graph calls per page") || r.Target != "≤ 5× the floor" {
		t.Fatalf("at the limit: %+v", r)
	}
	if r := againstFloor("x", page(76*time.Millisecond), floor, 0, 5); r.Result != fail {
		t.Fatalf("over the limit: %+v", r)
	}
}

func TestFresh(t *testing.T) {
	got := fresh([]string{"/users/a@b", "/search?q=adele"})
	if !slices.Equal(got, []string{"/users/a@b?fresh=1", "/search?q=adele&fresh=1"}) {
		t.Fatalf("fresh = %q", got)
	}
}
