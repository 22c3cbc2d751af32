package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
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

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/store"
	"github.com/assistdesk/assistdesk/web"
)

// stack is a portal signed in through a real embedded provider over HTTP,
// talking to the Graph simulator. A test can put a fault in front of the
// simulator for the requests it chooses.
type stack struct {
	portal     *httptest.Server
	idp        *httptest.Server
	graph      *httptest.Server
	sim        *graphsim.Server
	provider   *devidp.Provider
	handler    http.Handler
	sessions   *scs.SessionManager
	tokenCalls atomic.Int64
	logs       syncBuffer
	clientID   string

	mu     sync.Mutex
	fault  func(w http.ResponseWriter, r *http.Request) bool
	issued []string // every token the provider handed the portal
}

// recordTokens keeps the tokens of a token response, so a test can look
// for them where they must never appear.
func (s *stack) recordTokens(t *testing.T, body []byte) {
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
	return newStackRefusing(t)
}

// newStackRefusing starts a stack whose Graph refuses the given
// requestRemoteAssistance routes as routes, as real Graph has done.
func newStackRefusing(t *testing.T, routes ...int) *stack {
	t.Helper()
	s := &stack{clientID: "portal-test"}

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

	s.sim, err = graphsim.New(graphsim.Config{BaseURL: graphURL, Issuer: issuer, RefuseRoutes: routes})
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
	graphClient, err := graph.New(graphURL, &http.Client{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	rp, err := auth.NewRelyingParty(context.Background(), auth.RelyingPartyConfig{
		Issuer: issuer, ClientID: s.clientID, ClientSecret: "test-secret",
		RedirectURL: publicURL + "/auth/callback",
		Scopes:      config.DefaultScopes,
		HTTPClient:  &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vault, err := auth.NewVault(db, make([]byte, auth.TokenKeySize))
	if err != nil {
		t.Fatal(err)
	}
	sessions := scs.New()
	sessions.Store = db.SessionStore()
	s.sessions = sessions
	sessions.Cookie.Name = "assistdesk_session"
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	policy := auth.Policy{TechnicianRoles: []string{devidp.RoleTechnician}, AuditorRoles: []string{devidp.RoleAuditor}}
	public, _ := url.Parse(publicURL)
	handler := web.New(web.Deps{
		Auth:      auth.NewService(rp, sessions, vault, policy),
		Sessions:  sessions,
		PublicURL: public,
		IssuerURL: issuer,
		Graph:     graphClient,
		Logger:    slog.New(slog.NewTextHandler(&s.logs, nil)),

		AssistRateLimit: 30,
		SignInRateLimit: 30,
	})
	s.handler = handler
	s.portal = &httptest.Server{Listener: portalLn, Config: &http.Server{Handler: handler}}
	s.portal.Start()
	t.Cleanup(s.portal.Close)
	return s
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so each hop can be checked.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func get(t *testing.T, c *http.Client, rawURL string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func document(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve turns a Location header into an absolute URL.
func resolve(t *testing.T, resp *http.Response) string {
	t.Helper()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s %s: status %d, no Location", resp.Request.Method, resp.Request.URL, resp.StatusCode)
	}
	return loc.String()
}

// toCallback starts sign-in for returnTo, picks person at the provider,
// and returns the provider's redirect back to the portal's callback,
// without following it.
func (s *stack) toCallback(t *testing.T, c *http.Client, returnTo, person string) string {
	t.Helper()
	start := s.portal.URL + "/login?start=1&return_to=" + url.QueryEscape(returnTo)
	resp := get(t, c, start)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start sign-in: status %d", resp.StatusCode)
	}
	next := resolve(t, resp)
	for range 5 { // authorize → picker
		resp = get(t, c, next)
		if resp.StatusCode == http.StatusOK {
			break
		}
		next = resolve(t, resp)
	}
	doc := document(t, resp)
	form := doc.Find("form[action='/picker']")
	button := form.Find("button[data-testid='pick-" + person + "']")
	if button.Length() != 1 {
		t.Fatalf("picker has no button for %s", person)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		values.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
	post, err := c.PostForm(s.idp.URL+"/picker", values)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	next = resolve(t, post)
	for !strings.HasPrefix(next, s.portal.URL+"/auth/callback") {
		next = resolve(t, get(t, c, next))
	}
	return next
}

// signIn completes a sign-in as person and returns where the portal sent
// the browser afterwards.
func (s *stack) signIn(t *testing.T, c *http.Client, returnTo, person string) *http.Response {
	t.Helper()
	return get(t, c, s.toCallback(t, c, returnTo, person))
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
	req, err := http.NewRequest(http.MethodPost, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
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

// csrfToken reads the anti-forgery token a signed-in page hands to htmx.
func (s *stack) csrfToken(t *testing.T, c *http.Client) string {
	t.Helper()
	doc := document(t, get(t, c, s.portal.URL+"/"))
	var headers map[string]string
	if err := json.Unmarshal([]byte(doc.Find("body").AttrOr("hx-headers", "")), &headers); err != nil {
		t.Fatalf("the page carries no hx-headers with a token: %v", err)
	}
	if headers["X-CSRF-Token"] == "" || doc.Find("form[action='/logout'] input[name=csrf_token]").AttrOr("value", "") != headers["X-CSRF-Token"] {
		t.Fatal("the page's htmx header and sign-out form carry different tokens")
	}
	return headers["X-CSRF-Token"]
}

// htmxPost posts as htmx does from a portal page: with the page's token.
func (s *stack) htmxPost(t *testing.T, c *http.Client, path string) *http.Response {
	t.Helper()
	return post(t, c, s.portal.URL+path, "HX-Request", "true", "X-CSRF-Token", s.csrfToken(t, c))
}
