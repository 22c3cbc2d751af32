package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
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

// The session count runs on scrape, at most every sessionsCacheFor; a
// failing count drops the gauge, not the scrape.
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
	m.registry.MustRegister(newSessionsGauge(count, clock.now))
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
	clock.advance(sessionsCacheFor)
	rec := call(e, "GET", "/metrics")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "assistdesk_sessions_active") ||
		!strings.Contains(rec.Body.String(), "assistdesk_http_request_duration_seconds") {
		t.Fatalf("a failing count: status %d, body:\n%s", rec.Code, rec.Body)
	}
	if calls.Load() != 2 {
		t.Fatalf("counted %d times, want again after %s", calls.Load(), sessionsCacheFor)
	}
}
