package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/v2"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/readbudget"
	"github.com/assistdesk/assistdesk/internal/readcache"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/internal/store"
	"github.com/assistdesk/assistdesk/internal/writebudget"
	"github.com/assistdesk/assistdesk/web"
)

// stack is a portal signed in through a real embedded provider over HTTP,
// talking to the Graph simulator. A test can put a fault in front of the
// simulator for the requests it chooses.
type stack struct {
	portal      *httptest.Server
	idp         *httptest.Server
	graph       *httptest.Server
	sim         *graphsim.Server
	provider    *devidp.Provider
	handler     http.Handler
	options     stackOptions
	publicURL   string
	issuer      string
	graphClient *graph.Client
	db          *store.DB
	trail       *audit.Trail
	sessions    *scs.SessionManager
	tokenCalls  atomic.Int64
	logs        syncBuffer
	clientID    string

	mu     sync.Mutex
	fault  func(w http.ResponseWriter, r *http.Request) bool
	issued []string // every token the provider handed the portal
}

// recordTokens keeps the tokens of a token response, so a test can look
// for them where they must never appear.
func (s *stack) recordTokens(t testing.TB, body []byte) {
	var resp map[string]any
	if json.Unmarshal(body, &resp) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if v, ok := resp[k].(string); ok && v != "" {
			s.issued = append(s.issued, v)
		}
	}
}

func (s *stack) issuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// failGraph makes the stand-in Graph answer matching requests itself; f
// returns false to let a request through to the simulator.
func (s *stack) failGraph(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, stackOptions{})
}

// newStackRefusing starts a stack whose Graph refuses the given
// requestRemoteAssistance routes as routes, as real Graph has done.
func newStackRefusing(t *testing.T, routes ...int) *stack {
	t.Helper()
	return newStackWith(t, stackOptions{refuseRoutes: routes})
}

// stackOptions vary a stack.
type stackOptions struct {
	refuseRoutes    []int
	databaseURL     string // "" is a new SQLite file
	assistRateLimit int    // 0 is the default 30
	writeBudget     int    // 0 is Intune's 200
	budgetWindow    time.Duration
	maxWait         time.Duration // 0 is the default 60 s
	graphTimeout    time.Duration // 0 is 5 s
	idleTimeout     time.Duration // 0 is 30 min
	tenant          *graphsim.Tenant
	// readCacheClock, when set, gives each instance a read cache of a
	// minute on this clock.
	readCacheClock func() time.Time
	// readBudget, when set, gives each instance a Graph client whose
	// Intune reads take slots of a budget of this many per 20 s, shared
	// through the database.
	readBudget int
	// logTo, when set, takes the instances' logs instead of s.logs.
	logTo io.Writer
}

func newStackWith(t testing.TB, o stackOptions) *stack {
	t.Helper()
	if o.databaseURL == "" {
		o.databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "portal.db")
	}
	if o.assistRateLimit == 0 {
		o.assistRateLimit = 30
	}
	if o.writeBudget == 0 {
		o.writeBudget = 200
	}
	if o.budgetWindow == 0 {
		o.budgetWindow = writebudget.Window
	}
	if o.maxWait == 0 {
		o.maxWait = time.Minute
	}
	if o.idleTimeout == 0 {
		o.idleTimeout = 30 * time.Minute
	}
	if o.graphTimeout == 0 {
		o.graphTimeout = 5 * time.Second
	}
	s := &stack{clientID: "portal-test", options: o}

	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	portalLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	graphLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + idpLn.Addr().String()
	publicURL := "http://" + portalLn.Addr().String()
	graphURL := "http://" + graphLn.Addr().String()
	provider, err := devidp.New(devidp.Config{
		Issuer:        issuer,
		TenantID:      devidp.DemoTenantID(),
		GraphAudience: "https://graph.microsoft.com",
		Clients: []devidp.Client{{
			ID: s.clientID, Secret: "test-secret",
			RedirectURIs:           []string{publicURL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{publicURL + "/login?signed_out=1"},
		}},
		People: devidp.DemoPeople(),
	})
	if err != nil {
		t.Fatal(err)
	}
	idpHandler := provider.Handler()
	s.idp = &httptest.Server{Listener: idpLn, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			idpHandler.ServeHTTP(w, r)
			return
		}
		s.tokenCalls.Add(1)
		rec := httptest.NewRecorder()
		idpHandler.ServeHTTP(rec, r)
		s.recordTokens(t, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})}}
	s.idp.Start()
	t.Cleanup(s.idp.Close)
	s.provider = provider

	s.sim, err = graphsim.New(graphsim.Config{BaseURL: graphURL, Issuer: issuer, RefuseRoutes: o.refuseRoutes, Tenant: o.tenant})
	if err != nil {
		t.Fatal(err)
	}
	simHandler := s.sim.Handler()
	s.graph = &httptest.Server{Listener: graphLn, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fault := s.fault
		s.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		simHandler.ServeHTTP(w, r)
	})}}
	s.graph.Start()
	t.Cleanup(s.graph.Close)
	graphClient, err := graph.New(graphURL, &http.Client{}, o.graphTimeout)
	if err != nil {
		t.Fatal(err)
	}

	s.publicURL, s.issuer, s.graphClient = publicURL, issuer, graphClient
	s.handler, s.db, s.trail, s.sessions = s.newInstance(t, "test")
	s.portal = &httptest.Server{Listener: portalLn, Config: &http.Server{Handler: s.handler}}
	s.portal.Start()
	t.Cleanup(s.portal.Close)
	return s
}

func browser(t testing.TB) *http.Client { return signintest.Browser(t) }

func get(t testing.TB, c *http.Client, rawURL string, header ...string) *http.Response {
	t.Helper()
	return signintest.Get(t, c, rawURL, header...)
}

func document(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	return signintest.Document(t, resp)
}

func resolve(t *testing.T, resp *http.Response) string {
	t.Helper()
	return signintest.Location(t, resp)
}

func (s *stack) toCallback(t *testing.T, c *http.Client, returnTo, person string) string {
	t.Helper()
	return signintest.ToCallback(t, c, s.portal.URL, returnTo, person)
}

func (s *stack) signIn(t testing.TB, c *http.Client, returnTo, person string) *http.Response {
	t.Helper()
	return signintest.SignIn(t, c, s.portal.URL, returnTo, person)
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type goqSel = goquery.Selection

func post(t *testing.T, c *http.Client, rawURL string, header ...string) *http.Response {
	t.Helper()
	return signintest.Send(t, c, http.MethodPost, rawURL, header...)
}

// personID is the object id of a demo person by the local part of the UPN.
func personID(t *testing.T, local string) string {
	t.Helper()
	for _, p := range devidp.DemoPeople() {
		if strings.HasPrefix(p.Username, local+"@") {
			return p.ObjectID
		}
	}
	t.Fatalf("no demo person %s", local)
	return ""
}

func (s *stack) csrfToken(t *testing.T, c *http.Client) string {
	t.Helper()
	return signintest.CSRFToken(t, c, s.portal.URL)
}

// htmxPost posts as htmx does from a portal page: with the page's token.
func (s *stack) htmxPost(t *testing.T, c *http.Client, path string) *http.Response {
	t.Helper()
	return post(t, c, s.portal.URL+path, "HX-Request", "true", "X-CSRF-Token", s.csrfToken(t, c))
}

// assist requests assistance as a technician's click does: it opens the
// page the request is made from (the user's, the device's, the script
// run's or the app's), takes the form whose action is path, and posts its
// fields, with extra ones added, as htmx does.
func (s *stack) assist(t *testing.T, c *http.Client, path string, extra url.Values) *http.Response {
	t.Helper()
	form := s.assistForm(t, c, path)
	for k, v := range extra {
		form[k] = v
	}
	return signintest.Post(t, c, s.portal.URL, path, form)
}

// assistForm is the hidden fields of the request form whose action is path,
// read from the page that shows it.
func (s *stack) assistForm(t *testing.T, c *http.Client, path string) url.Values {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	page := strings.TrimSuffix(u.Path, "/assistance")
	if before, _, ok := strings.Cut(page, "/devices/"); ok && before != "" {
		page = before // route 1 or 4: the user's page, or the app's
	}
	if u.RawQuery != "" {
		page += "?" + u.RawQuery
	}
	return signintest.RequestForm(t, c, s.portal.URL, page, path)
}

// assistRequest is a request for assistance on a device through portal,
// as htmx sends it from a page signed in with token: for tests that fire
// many at once without opening a page for each device.
func assistRequest(portal, path string, d graphsim.ManagedDevice, token string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, portal+path, strings.NewReader(web.DeviceForm(formKey, d.ID, d.DeviceName).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", token)
	return req
}

// formKey signs device facts on every instance of a stack.
var formKey = make([]byte, 32)

// newInstance builds one portal instance: its own connection pool to the
// stack's database, the same configuration as every other instance, as
// behind a load balancer.
func (s *stack) newInstance(t testing.TB, name string) (http.Handler, *store.DB, *audit.Trail, *scs.SessionManager) {
	t.Helper()
	rp, err := auth.NewRelyingParty(context.Background(), auth.RelyingPartyConfig{
		Issuer: s.issuer, ClientID: s.clientID, ClientSecret: "test-secret",
		RedirectURL: s.publicURL + "/auth/callback",
		Scopes:      config.DefaultScopes,
		HTTPClient:  &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), s.options.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vault, err := auth.NewVault(db, make([]byte, auth.TokenKeySize))
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.New(db, name, time.Now)
	sessions := scs.New()
	sessions.Store = db.Sessions()
	sessions.Cookie.Name = "assistdesk_session"
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	policy := auth.Policy{TechnicianRoles: []string{devidp.RoleTechnician}, AuditorRoles: []string{devidp.RoleAuditor}}
	public, _ := url.Parse(s.publicURL)
	var logs io.Writer = &s.logs
	if s.options.logTo != nil {
		logs = s.options.logTo
	}
	var reads *readcache.Cache
	if s.options.readCacheClock != nil {
		reads = readcache.New(time.Minute, 1<<20, s.options.readCacheClock)
	}
	graphClient := s.graphClient
	if s.options.readBudget > 0 {
		if graphClient, err = graph.New(s.graph.URL, &http.Client{}, s.options.graphTimeout,
			graph.WithReadGate(readbudget.New(db, s.options.readBudget, readbudget.Window, time.Now))); err != nil {
			t.Fatal(err)
		}
	}
	handler := web.New(web.Deps{
		Auth:         auth.NewService(rp, sessions, vault, policy, s.options.idleTimeout),
		Sessions:     sessions,
		PublicURL:    public,
		IssuerURL:    s.issuer,
		Graph:        graphClient,
		Audit:        trail,
		Budget:       writebudget.New(db, s.options.writeBudget, s.options.budgetWindow, time.Now),
		MaxWait:      s.options.maxWait,
		GraphTimeout: s.options.graphTimeout,
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),

		AssistRateLimit: s.options.assistRateLimit,
		SignInRateLimit: 30,
		Metrics:         web.NewMetrics(web.ActiveSessions(db), nil),
		Ready:           []web.ReadyCheck{web.DatabaseReady(db, migratedVersion(t, db))},
		FormKey:         formKey,
		ReadCache:       reads,
	})
	return handler, db, trail, sessions
}

// secondInstance starts another instance on its own address.
func (s *stack) secondInstance(t *testing.T, name string) (*httptest.Server, *audit.Trail) {
	t.Helper()
	handler, _, trail, _ := s.newInstance(t, name)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv, trail
}
