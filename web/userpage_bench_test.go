package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// BenchmarkUserPage is a technician's user page answered from their read
// cache, as make bench's full-speed phase sends it (no Accept-Encoding),
// through the portal's whole handler: middleware, the session from SQLite,
// the guard, the cache, rendering and the request's log line, written to a
// file as in production. The HTTP server and the connection are left out:
// they are what the bench's floor pays too. For a CPU profile:
//
//	go test ./web -run '^$' -bench UserPage -cpuprofile /tmp/cpu.out
func BenchmarkUserPage(b *testing.B) {
	b.Run("cached", func(b *testing.B) { benchmarkUserPage(b, "") })
	// Every Graph read made anew: the simulator runs in this process, so
	// its share of a profile is not the portal's.
	b.Run("fresh", func(b *testing.B) { benchmarkUserPage(b, "?fresh=1") })
}

func benchmarkUserPage(b *testing.B, query string) {
	// The collector as `assistdesk serve` sets it (cmd/assistdesk's tuneGC).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(40 << 20))
	logs, err := os.Create(filepath.Join(b.TempDir(), "portal.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	s := newStackWith(b, stackOptions{readCacheClock: time.Now, logTo: logs})
	c := s.signedIn(b)
	page := s.portal.URL + "/users/" + graphsim.DemoAdeleUPN + query
	if resp := get(b, c, page); resp.StatusCode != http.StatusOK { // reads Graph once
		b.Fatalf("%s: status %d", page, resp.StatusCode)
	}
	u, _ := url.Parse(page)
	request, _ := http.NewRequest(http.MethodGet, page, nil)
	request.RemoteAddr = "127.0.0.1:50000"
	for _, cookie := range c.Jar.Cookies(u) {
		request.AddCookie(cookie)
	}
	calls := len(s.sim.Requests())
	b.ReportAllocs()
	for b.Loop() {
		w := &discard{header: http.Header{}}
		s.handler.ServeHTTP(w, request.Clone(context.Background()))
		if w.status != http.StatusOK {
			b.Fatalf("%s: status %d", page, w.status)
		}
	}
	b.ReportMetric(float64(len(s.sim.Requests())-calls)/float64(b.N), "graph-calls/op")
}

// discard is a response that keeps its status and drops its body.
type discard struct {
	header http.Header
	status int
}

func (w *discard) Header() http.Header { return w.header }
func (w *discard) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discard) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
