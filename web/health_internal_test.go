package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/store"
)

// fakeClock is a settable now().
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// opsEcho routes the ops endpoints alone, behind the request log.
func opsEcho(logs *bytes.Buffer, checks []ReadyCheck, clock *fakeClock, m *Metrics, token string) *echo.Echo {
	e := echo.New()
	e.Use(requestLog(slog.New(slog.NewJSONHandler(logs, nil)), m, nil))
	e.GET("/readyz", newReadiness(checks, readyCacheFor, clock.now).serve)
	e.GET("/metrics", m.handler(token))
	return e
}

func call(e http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestReadyzNamesWhatIsMissingAndNothingMore(t *testing.T) {
	var logs bytes.Buffer
	dbErr := errors.New("dial tcp db.internal:5432: connection refused (postgres://assistdesk:hunter2@db.internal/assistdesk)")
	var dbDown atomic.Bool
	checks := []ReadyCheck{
		{Name: "database", Check: func(context.Context) error {
			if dbDown.Load() {
				return dbErr
			}
			return nil
		}},
		{Name: "identity provider", Check: func(context.Context) error { return nil }},
	}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	e := opsEcho(&logs, checks, clock, NewMetrics(nil, nil), "")

	if rec := call(e, "GET", "/readyz"); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("ready: %d %q", rec.Code, rec.Body)
	}
	dbDown.Store(true)
	clock.advance(readyCacheFor)
	rec := call(e, "GET", "/readyz")
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "not ready: database\n" {
		t.Fatalf("database down: %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("a readiness answer may be cached by a proxy")
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("the reason is not in the log:\n%s", logs.String())
	}
}

func TestReadinessIsCachedAndComputedOnceForABurst(t *testing.T) {
	var calls atomic.Int64
	checks := []ReadyCheck{{Name: "database", Check: func(context.Context) error {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond) // long enough for the burst to pile up
		return nil
	}}}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	r := newReadiness(checks, readyCacheFor, clock.now)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _, _ = r.verdict(context.Background()) })
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("a burst of 50 polls ran the checks %d times", n)
	}
	clock.advance(readyCacheFor - time.Millisecond)
	_, _ = r.verdict(context.Background())
	clock.advance(time.Millisecond)
	_, _ = r.verdict(context.Background())
	if n := calls.Load(); n != 2 {
		t.Fatalf("checks ran %d times, want once more after %s", n, readyCacheFor)
	}
}

// A poller that hangs up must not leave "context canceled" as the verdict.
func TestReadinessIgnoresTheCallersCancellation(t *testing.T) {
	checks := []ReadyCheck{{Name: "database", Check: func(ctx context.Context) error { return ctx.Err() }}}
	r := newReadiness(checks, readyCacheFor, (&fakeClock{}).now)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if failed, err := r.verdict(ctx); failed != "" {
		t.Fatalf("verdict %q (%v) from a cancelled poll", failed, err)
	}
}

func TestDatabaseReadyWantsTheBinarysSchema(t *testing.T) {
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "ready.db"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := DatabaseReady(db, want).Check(context.Background()); err != nil {
		t.Fatalf("a freshly migrated database: %v", err)
	}
	if err := DatabaseReady(db, want+1).Check(context.Background()); err == nil {
		t.Fatal("a schema behind the binary counted as ready")
	}
	db.Close()
	if err := DatabaseReady(db, want).Check(context.Background()); err == nil {
		t.Fatal("a closed database counted as ready")
	}
}

func TestRequestIDIsBelievedFromTrustedProxiesOnly(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, peer, header string
		kept               bool
	}{
		{"trusted proxy", "10.1.2.3:5555", "req-1234_abc.def:9", true},
		{"untrusted client", "203.0.113.9:5555", "req-1234", false},
		{"trusted, but a log-line forgery", "10.1.2.3:5555", "a\nlevel=ERROR msg=forged", false},
		{"trusted, but too long", "10.1.2.3:5555", strings.Repeat("a", 129), false},
		{"trusted, none sent", "10.1.2.3:5555", "", false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		r.Header.Set("X-Request-Id", tt.header)
		got := requestID(r, proxies)
		if (got == tt.header) != tt.kept || got == "" || seen[got] {
			t.Errorf("%s: request id %q", tt.name, got)
		}
		seen[got] = true
	}
}
