package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/store"
	"github.com/assistdesk/assistdesk/web"
)

// ActiveSessions counts what the session stores consider unexpired, in
// each dialect's own notion of expiry.
func TestActiveSessionsCountsUnexpiredRows(t *testing.T) {
	for name, databaseURL := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "s.db") },
		"postgres": func(t *testing.T) string { return pgtest.Start(t) },
	} {
		t.Run(name, func(t *testing.T) {
			db, err := store.Open(context.Background(), databaseURL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			sessions := db.Sessions()
			now := time.Now()
			for token, expiry := range map[string]time.Time{
				"live-1": now.Add(time.Hour), "live-2": now.Add(time.Minute), "ended": now.Add(-time.Minute),
			} {
				if err := sessions.Commit(token, []byte("x"), expiry); err != nil {
					t.Fatal(err)
				}
			}
			n, err := web.ActiveSessions(db)(context.Background())
			if err != nil || n != 2 {
				t.Fatalf("active sessions %d, %v; want 2", n, err)
			}
		})
	}
}

// Graph calls are labelled by the client's endpoint pattern, never by the
// URL, whose ids would mint a series per user; a 429 also counts as a
// throttle, and a call without an answer has status "none".
func TestGraphCallsAreObservedByEndpoint(t *testing.T) {
	m := web.NewMetrics(nil, nil)
	graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))
	}))
	defer graphSrv.Close()
	c, err := graph.New(graphSrv.URL, graphSrv.Client(), 5*time.Second, graph.WithObserver(m))
	if err != nil {
		t.Fatal(err)
	}
	const upn = "adele.vance@contoso.example"
	for range 2 {
		if _, err := c.User(context.Background(), "tok", upn); err == nil {
			t.Fatal("a 429 was not an error")
		}
	}
	graphSrv.Close()
	if _, err := c.User(context.Background(), "tok", upn); err == nil {
		t.Fatal("a closed server answered")
	}
	m.Retry("GET /users/{id}", http.StatusTooManyRequests)
	unobserved, err := graph.New(graphSrv.URL, graphSrv.Client(), time.Second, graph.WithObserver(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unobserved.User(context.Background(), "tok", upn); err == nil {
		t.Fatal("a closed server answered")
	}

	got := scrape(t, m, "")
	for _, want := range []string{
		`assistdesk_graph_request_duration_seconds_count{endpoint="GET /users/{id}",status="429"} 2`,
		`assistdesk_graph_request_duration_seconds_count{endpoint="GET /users/{id}",status="none"} 1`,
		`assistdesk_graph_throttled_total{endpoint="GET /users/{id}"} 2`,
		`assistdesk_graph_retries_total{endpoint="GET /users/{id}",status="429"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(got, "adele") {
		t.Error("/metrics names a user")
	}
}

// The counters the assistance handler and the write budget increment.
func TestAttemptAndWriteBudgetCounters(t *testing.T) {
	m := web.NewMetrics(nil, nil)
	before := scrape(t, m, "")
	if !strings.Contains(before, `assistdesk_assistance_attempts_total{outcome="failed",route="3"} 0`) {
		t.Error("attempt series do not exist before the first attempt")
	}
	m.RecordAttempt(1, "succeeded")
	m.RecordAttempt(1, "succeeded")
	m.RecordAttempt(2, "refused")
	m.RecordBudgetWait(1500 * time.Millisecond)
	m.RecordBudgetRefusal()
	got := scrape(t, m, "")
	for _, want := range []string{
		`assistdesk_assistance_attempts_total{outcome="succeeded",route="1"} 2`,
		`assistdesk_assistance_attempts_total{outcome="refused",route="2"} 1`,
		"assistdesk_write_budget_waits_total 1",
		"assistdesk_write_budget_wait_seconds_total 1.5",
		"assistdesk_write_budget_refusals_total 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var none *web.Metrics
	none.RecordAttempt(1, "succeeded") // handlers built without metrics must not panic
	none.RecordBudgetWait(time.Second)
	none.RecordBudgetRefusal()
	none.Call("GET /users/{id}", 200, time.Second)
	none.Retry("GET /users/{id}", 503)
}

func scrape(t *testing.T, m *web.Metrics, token string) string {
	t.Helper()
	rec := web.ServeMetrics(m, token, "Bearer "+token)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: status %d", rec.Code)
	}
	return rec.Body.String()
}
