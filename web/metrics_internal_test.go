package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// ServeMetrics answers one GET /metrics from m, guarded by token, sent
// with the given Authorization header (for the web_test package).
func ServeMetrics(m *Metrics, token, authorization string) *httptest.ResponseRecorder {
	e := echo.New()
	e.GET("/metrics", m.handler(token))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", authorization)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestMetricsNeedTheirTokenWhenOneIsSet(t *testing.T) {
	const token = "scrape-token-0123456789"
	m := NewMetrics(nil, nil)
	e := opsEcho(&bytes.Buffer{}, nil, &fakeClock{}, m, token)
	for name, header := range map[string][]string{
		"none":           nil,
		"wrong":          {"Authorization", "Bearer scrape-token-0123456780"},
		"prefix":         {"Authorization", "Bearer scrape-token"},
		"not bearer":     {"Authorization", "Basic " + token},
		"token, no kind": {"Authorization", token},
	} {
		rec := call(e, "GET", "/metrics", header...)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" ||
			strings.Contains(rec.Body.String(), "assistdesk_") {
			t.Errorf("%s: status %d, body %.40q", name, rec.Code, rec.Body)
		}
	}
	for _, scheme := range []string{"Bearer", "bearer"} {
		rec := call(e, "GET", "/metrics", "Authorization", scheme+" "+token)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "assistdesk_http_request_duration_seconds") {
			t.Errorf("%s token: status %d", scheme, rec.Code)
		}
	}
	open := opsEcho(&bytes.Buffer{}, nil, &fakeClock{}, NewMetrics(nil, nil), "")
	if rec := call(open, "GET", "/metrics"); rec.Code != http.StatusOK {
		t.Errorf("without a token configured: status %d", rec.Code)
	}
}

// Request series are keyed by route pattern; what a client invents (a
// path, a method) collapses into one series.
func TestRequestSeriesHaveBoundedLabels(t *testing.T) {
	m := NewMetrics(nil, nil)
	e := opsEcho(&bytes.Buffer{}, nil, &fakeClock{}, m, "")
	call(e, "GET", "/readyz")
	for _, p := range []string{"/secret-a", "/secret-b"} {
		call(e, "GET", p)
	}
	call(e, "BREW", "/readyz")
	got := call(e, "GET", "/metrics").Body.String()
	for _, want := range []string{
		`assistdesk_http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 1`,
		`assistdesk_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 2`,
		`assistdesk_http_request_duration_seconds_count{method="other",route="/readyz",status="405"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "BREW") {
		t.Error("a client-chosen path or method became a label")
	}
}

// A count from the database (here the sessions') runs on scrape, at most
// every countCacheFor; a failing count drops the gauge, not the scrape.
func TestSessionsGaugeIsCachedAndFailsAlone(t *testing.T) {
	var calls atomic.Int64
	var failing atomic.Bool
	count := func(context.Context) (int, error) {
		calls.Add(1)
		if failing.Load() {
			return 0, errors.New("database unreachable")
		}
		return 7, nil
	}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	m := NewMetrics(nil, nil)
	m.registry.MustRegister(newCountedGauge("assistdesk_sessions_active", "sessions", count, clock.now))
	e := opsEcho(&bytes.Buffer{}, nil, clock, m, "")
	for range 3 {
		if got := call(e, "GET", "/metrics").Body.String(); !strings.Contains(got, "assistdesk_sessions_active 7") {
			t.Fatal("/metrics lacks assistdesk_sessions_active 7")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("three scrapes counted sessions %d times", n)
	}
	failing.Store(true)
	clock.advance(countCacheFor)
	rec := call(e, "GET", "/metrics")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "assistdesk_sessions_active") ||
		!strings.Contains(rec.Body.String(), "assistdesk_http_request_duration_seconds") {
		t.Fatalf("a failing count: status %d, body:\n%s", rec.Code, rec.Body)
	}
	if calls.Load() != 2 {
		t.Fatalf("counted %d times, want again after %s", calls.Load(), countCacheFor)
	}
}

// A scraper that hangs up midway costs one line, the request's own, below
// ERROR: not an error line for every metric family left unsent.
func TestAScraperThatGoesAwayIsOneQuietLine(t *testing.T) {
	var logs syncLog
	m := NewMetrics(nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	// Enough series (some 15 MB) that the answer cannot fit in the
	// connection's buffers before the reset arrives.
	many := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_padding_total", Help: strings.Repeat("padding ", 64)}, []string{"n"})
	pad := strings.Repeat("x", 200)
	for i := range 60000 {
		many.WithLabelValues(pad + strconv.Itoa(i)).Inc()
	}
	m.registry.MustRegister(many)
	e := echo.New()
	e.Use(requestLog(slog.New(slog.NewJSONHandler(&logs, nil)), m, nil))
	e.GET("/metrics", m.handler(""))
	srv := httptest.NewServer(e)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := io.ReadFull(conn, make([]byte, 200)); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).SetLinger(0) // close with a reset
	conn.Close()

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `"route":"/metrics"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], "went away") {
		t.Fatalf("%d log lines for a scraper that went away, want its request's line below ERROR:\n%s", len(lines), logs.String())
	}
}

// syncLog is a log sink for handlers that run on the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
