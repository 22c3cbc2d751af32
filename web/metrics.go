package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/store"
)

// durationBuckets reach past a minute: an assistance request may wait up
// to ASSISTDESK_MAX_WAIT (60 s by default) for budget or retries.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// Metrics is the portal's Prometheus registry and the series recorded in
// it. The registry is private, not the global one, so that nothing a
// library registers on its own is exposed and every instance a test builds
// starts from zero. All methods may be called on a nil *Metrics.
type Metrics struct {
	registry       *prometheus.Registry
	logger         *slog.Logger
	requests       *prometheus.HistogramVec
	graphCalls     *prometheus.HistogramVec
	graphRetries   *prometheus.CounterVec
	graphThrottles *prometheus.CounterVec
	budgetWaits    prometheus.Counter
	budgetWaited   prometheus.Counter
	budgetRefusals prometheus.Counter
	attempts       *prometheus.CounterVec
	tickets        *ticketMetrics // nil without ticket write-back
}

var _ graph.Observer = (*Metrics)(nil)

// NewMetrics builds the registry. activeSessions counts unexpired sessions
// (ActiveSessions); nil leaves the gauge out.
func NewMetrics(activeSessions func(context.Context) (int, error), logger *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		logger:   logger,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "assistdesk_http_request_duration_seconds",
			Help:    "HTTP requests by route pattern, method and status.",
			Buckets: durationBuckets,
		}, []string{"route", "method", "status"}),
		graphCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "assistdesk_graph_request_duration_seconds",
			Help:    "Microsoft Graph calls by endpoint and status (none: no HTTP answer).",
			Buckets: durationBuckets,
		}, []string{"endpoint", "status"}),
		graphRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assistdesk_graph_retries_total",
			Help: "Graph calls sent again, by endpoint and the status that caused the retry.",
		}, []string{"endpoint", "status"}),
		graphThrottles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assistdesk_graph_throttled_total",
			Help: "Graph answers of 429 Too Many Requests, by endpoint.",
		}, []string{"endpoint"}),
		budgetWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "assistdesk_write_budget_waits_total",
			Help: "Assistance requests that waited for the shared Graph write budget.",
		}),
		budgetWaited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "assistdesk_write_budget_wait_seconds_total",
			Help: "Time assistance requests spent waiting for the shared Graph write budget.",
		}),
		budgetRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "assistdesk_write_budget_refusals_total",
			Help: "Assistance requests refused because the write budget stayed spent for ASSISTDESK_MAX_WAIT.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assistdesk_assistance_attempts_total",
			Help: "Assistance requests by Graph route (1-4) and audit outcome.",
		}, []string{"route", "outcome"}),
	}
	m.registry.MustRegister(m.requests, m.graphCalls, m.graphRetries, m.graphThrottles,
		m.budgetWaits, m.budgetWaited, m.budgetRefusals, m.attempts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every route and outcome exists from the start, at zero, so that a
	// rate() over the first failure has something to compare with.
	for route := 1; route <= 4; route++ {
		for _, o := range []audit.Outcome{audit.Succeeded, audit.Failed, audit.Unknown, audit.Refused} {
			m.attempts.WithLabelValues(strconv.Itoa(route), string(o))
		}
	}
	if activeSessions != nil {
		m.registry.MustRegister(newCountedGauge("assistdesk_sessions_active",
			"Unexpired sessions in the database, all instances together (sign-ins in progress included).", activeSessions, time.Now))
	}
	return m
}

// Call records one Graph call; status 0 is a call that got no HTTP answer.
// It makes *Metrics a graph.Observer.
func (m *Metrics) Call(endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.graphCalls.WithLabelValues(endpoint, graphStatus(status)).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.graphThrottles.WithLabelValues(endpoint).Inc()
	}
}

// Retry records that the Graph client is about to send a call again after
// an answer of status (graph.Observer).
func (m *Metrics) Retry(endpoint string, status int) {
	if m == nil {
		return
	}
	m.graphRetries.WithLabelValues(endpoint, graphStatus(status)).Inc()
}

// RecordAttempt counts one assistance request's outcome (an audit.Outcome
// such as "succeeded" or "refused") on its Graph route, 1 to 4.
func (m *Metrics) RecordAttempt(route int, outcome string) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(strconv.Itoa(route), outcome).Inc()
}

// RecordBudgetWait counts an assistance request that had to wait d for
// the shared write budget before it was sent.
func (m *Metrics) RecordBudgetWait(d time.Duration) {
	if m == nil {
		return
	}
	m.budgetWaits.Inc()
	m.budgetWaited.Add(d.Seconds())
}

// RecordBudgetRefusal counts an assistance request refused because the
// write budget did not free up in time.
func (m *Metrics) RecordBudgetRefusal() {
	if m == nil {
		return
	}
	m.budgetRefusals.Inc()
}

// observeRequest records one HTTP request. route is echo's pattern; an
// unrouted path has none and is counted as "unmatched", so that scanners
// cannot mint a series per URL they try. Methods outside the standard set
// are "other" for the same reason.
func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

func graphStatus(status int) string {
	if status == 0 {
		return "none"
	}
	return strconv.Itoa(status)
}

// handler is GET /metrics. With a token configured, only a request that
// carries it as a bearer token is answered; the comparison is of hashes,
// in constant time, so neither the token nor its length leaks through
// timing. A collector that fails (the session count, say) is logged and
// left out rather than failing the whole scrape.
func (m *Metrics) handler(token string) echo.HandlerFunc {
	var opts promhttp.HandlerOpts
	opts.ErrorHandling = promhttp.ContinueOnError
	if m.logger != nil {
		opts.ErrorLog = slog.NewLogLogger(m.logger.Handler(), slog.LevelError)
	}
	h := promhttp.HandlerFor(m.registry, opts)
	want := sha256.Sum256([]byte(token))
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		if token != "" {
			scheme, got, _ := strings.Cut(c.Request().Header.Get("Authorization"), " ")
			sum := sha256.Sum256([]byte(got))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				return c.String(http.StatusUnauthorized, "unauthorized\n")
			}
		}
		// The scrape is rendered whole first: a scraper that hangs up midway
		// then costs one failed write, noted on the request's line, not an
		// error line per metric family from promhttp.
		scrape := &bufferedResponse{header: c.Response().Header()}
		h.ServeHTTP(scrape, c.Request())
		c.Response().WriteHeader(cmp.Or(scrape.status, http.StatusOK))
		if _, err := c.Response().Write(scrape.body.Bytes()); err != nil {
			noteError(c, fmt.Errorf("metrics: the scraper went away: %w", err))
		}
		return nil
	}
}

// bufferedResponse holds an answer in memory; its headers are the real
// response's.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

// countCacheFor is how long a count from the database is reused: a count
// is a scan of sorts, and several scrapers (or a person refreshing the
// page) must not each pay for it.
const countCacheFor = 5 * time.Second

// countedGauge is a gauge counted in the database on scrape. Failures are
// cached too, so a struggling database is not asked again at once, and a
// failure drops this series, not the scrape.
type countedGauge struct {
	desc  *prometheus.Desc
	count func(context.Context) (int, error)
	now   func() time.Time

	mu    sync.Mutex
	at    time.Time
	value int
	err   error
}

func newCountedGauge(name, help string, count func(context.Context) (int, error), now func() time.Time) *countedGauge {
	return &countedGauge{desc: prometheus.NewDesc(name, help, nil, nil), count: count, now: now}
}

// Describe implements prometheus.Collector.
func (g *countedGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *countedGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	if g.at.IsZero() || g.now().Sub(g.at) >= countCacheFor {
		ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
		g.value, g.err = g.count(ctx)
		cancel()
		g.at = g.now()
	}
	value, err := g.value, g.err
	g.mu.Unlock()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(value))
}

// ActiveSessions counts the unexpired rows of the sessions table, with
// each dialect's own notion of expiry as scs's stores write it (a Julian
// day in SQLite, a timestamp in PostgreSQL).
func ActiveSessions(db *store.DB) func(context.Context) (int, error) {
	query := "SELECT COUNT(*) FROM sessions WHERE julianday('now') < expiry"
	if db.Dialect == store.Postgres {
		query = "SELECT COUNT(*) FROM sessions WHERE current_timestamp < expiry"
	}
	return func(ctx context.Context) (int, error) {
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return 0, fmt.Errorf("web: count active sessions: %w", err)
		}
		return n, nil
	}
}
