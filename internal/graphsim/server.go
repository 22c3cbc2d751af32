// Package graphsim is a Microsoft Graph simulator for the demo and the tests.
// It serves a seeded tenant over the same HTTP API the portal calls in
// production and refuses what Graph refuses — tokens, scopes, query syntax,
// routing — so that the client and the simulator cannot agree on a request
// that real Graph would reject. See docs/graph-reference.md.
package graphsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	defaultAudience = "https://graph.microsoft.com"
	defaultPageSize = 100
)

// Config describes a simulator.
type Config struct {
	BaseURL      string       // public root of the simulator, e.g. http://127.0.0.1:PORT; used to build @odata.nextLink
	Issuer       string       // OpenID issuer whose discovery document and JWKS verify bearer tokens
	Audience     string       // accepted token audience; "https://graph.microsoft.com" when empty
	Tenant       *Tenant      // DemoTenant(time.Now()) when nil
	PageSize     int          // page size of collections; 100 when zero, smaller than Graph's so paging is exercised
	RefuseRoutes []int        // requestRemoteAssistance routes (1, 3, 4) to refuse with Graph's routing error
	HTTPClient   *http.Client // fetches discovery and JWKS; one with a 10 s timeout when nil

	// Faults are injected from the start; the Set… methods change them later.
	Faults Faults
	// Now is the clock of throttling windows, Retry-After and assistance
	// sessions, so a test can move time instead of sleeping; time.Now when
	// nil. It must be safe for concurrent use. Latency and device delays
	// are real time whatever the clock.
	Now func() time.Time
}

// Server is a running simulator's state. It is safe for concurrent use.
type Server struct {
	baseURL  string
	audience string
	issuer   string
	pageSize int
	keys     *keySource
	data     *index
	now      func() time.Time
	faults   *faultState
	partner  time.Time // the TeamViewer partner's last connection

	mu       sync.Mutex
	requests []Request
	actions  []Action
	sessions map[string]session // by lower-case device id
}

// Request is one request the simulator received.
type Request struct {
	Method, Path, RawQuery            string // Path is the escaped path as received
	ConsistencyLevel, ClientRequestID string // the request's headers, as sent
	Status                            int    // 0 when the client gave up before an answer
	TokenID, TokenOID                 string // jti and oid of a verified bearer token; "" if none or invalid
	Time                              time.Time
	// Fault names the injected fault that answered or held the request:
	// latency, early-retry, throttle, fail-rate, read-limit, write-limit,
	// or device- followed by the device fault (device-forbidden,
	// device-hang, …).
	// It is "" when the simulator answered as Graph would.
	Fault string
}

// Action is one requestRemoteAssistance that the simulator executed, that
// is, answered with 204.
type Action struct {
	Route             int    // 1–4, as numbered in docs/graph-reference.md
	DeviceID          string // the managed device the request was for
	TokenID, TokenOID string
	Time              time.Time
}

// New checks cfg and builds a simulator. It does not contact the issuer:
// keys are discovered on the first request that carries a token.
func New(cfg Config) (*Server, error) {
	if cfg.BaseURL == "" || strings.HasSuffix(cfg.BaseURL, "/") {
		return nil, errors.New("graphsim: base URL is required, without a trailing slash")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("graphsim: issuer is required")
	}
	if cfg.PageSize < 0 {
		return nil, errors.New("graphsim: page size must not be negative")
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = defaultPageSize
	}
	if cfg.Audience == "" {
		cfg.Audience = defaultAudience
	}
	if cfg.Tenant == nil {
		cfg.Tenant = DemoTenant(time.Now())
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	refuse, err := refuseSet(cfg.RefuseRoutes)
	if err != nil {
		return nil, err
	}
	if err := cfg.Faults.validate(); err != nil {
		return nil, err
	}
	data, err := newIndex(cfg.Tenant)
	if err != nil {
		return nil, err
	}
	return &Server{
		baseURL:  cfg.BaseURL,
		audience: cfg.Audience,
		issuer:   cfg.Issuer,
		pageSize: cfg.PageSize,
		keys:     &keySource{issuer: cfg.Issuer, client: cfg.HTTPClient},
		data:     data,
		now:      cfg.Now,
		faults:   newFaultState(cfg.Faults, refuse, cfg.Now),
		partner:  cfg.Now().Add(-time.Hour).UTC().Truncate(time.Second),
		sessions: map[string]session{},
	}, nil
}

func refuseSet(routes []int) (map[int]bool, error) {
	refuse := map[int]bool{}
	for _, r := range routes {
		if r != 1 && r != 3 && r != 4 {
			return nil, fmt.Errorf("graphsim: route %d cannot be refused; Graph refuses routes 1, 3 and 4 only", r)
		}
		refuse[r] = true
	}
	return refuse, nil
}

// Handler serves the Graph API at the root: /v1.0/… and /beta/….
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Tenant is the data the simulator serves.
func (s *Server) Tenant() *Tenant { return s.data.t }

// keepRecords bounds the request and action logs, so a demo or simulator
// left running for days does not grow without end; tests read far fewer.
const keepRecords = 100_000

// keepLast drops the oldest records past keepRecords, a batch at a time so
// that appending stays cheap.
func keepLast[T any](records []T) []T {
	if len(records) < keepRecords+keepRecords/10 {
		return records
	}
	return slices.Clone(records[len(records)-keepRecords:])
}

// Requests lists the requests received so far (the latest 100,000), in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Actions lists the requestRemoteAssistance actions executed so far (the
// latest 100,000), in order.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

func (s *Server) recordAction(c *call, route int, deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = append(keepLast(s.actions), Action{
		Route: route, DeviceID: deviceID,
		TokenID: c.token.id, TokenOID: c.token.oid,
		Time: s.now(),
	})
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	c := &call{s: s, w: sw, r: r, requestID: newGUID(), clientRequestID: r.Header.Get("client-request-id")}
	if !isGUID(c.clientRequestID) {
		c.clientRequestID = newGUID()
	}
	sw.Header().Set("request-id", c.requestID)
	sw.Header().Set("client-request-id", c.clientRequestID)
	if isWrite(r.Method) {
		s.faults.noteWrite()
	}
	if s.faults.delay(r.Context()) {
		c.serve()
	} else {
		c.fault = faultLatency
	}
	if c.writeSlot != nil && (sw.status < 200 || sw.status > 299) {
		s.faults.release(c.writeSlot)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(keepLast(s.requests), Request{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		ConsistencyLevel: r.Header.Get("ConsistencyLevel"),
		ClientRequestID:  r.Header.Get("client-request-id"),
		Status:           sw.status,
		TokenID:          c.token.id, TokenOID: c.token.oid,
		Time: s.now(), Fault: c.fault,
	})
}
