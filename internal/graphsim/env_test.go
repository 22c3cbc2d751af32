package graphsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
)

// testNow fixes the demo tenant's clock so tests see the same data.
var testNow = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// testTenant is shared: tests only read it, and building it once keeps
// the suite fast.
var testTenant = sync.OnceValue(func() *Tenant { return DemoTenant(testNow) })

// env is a simulator behind a real HTTP server, with its issuer.
type env struct {
	t   *testing.T
	iss *testissuer.Issuer
	sim *Server
	url string
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	iss := testissuer.New(t)
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.Issuer = iss.URL()
	if cfg.Tenant == nil {
		cfg.Tenant = testTenant()
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sim.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, iss: iss, sim: sim, url: srv.URL}
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with the given bearer token ("" for none) and
// headers as name, value pairs; target is a path or a whole URL.
func (e *env) call(method, target, token string, headers ...string) response {
	e.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = e.url + target
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// get sends a GET with a token carrying every scope the portal asks for.
func (e *env) get(target string, headers ...string) response {
	e.t.Helper()
	return e.call(http.MethodGet, target, e.iss.Token(e.t, nil), headers...)
}

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// wantError checks status and code, and the shape every Graph error has.
func (r response) wantError(t *testing.T, status int, code string) graphError {
	t.Helper()
	var ge graphError
	if err := json.Unmarshal(r.body, &ge); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if r.status != status || ge.Error.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, ge.Error.Code, ge.Error.Message, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	inner := ge.Error.InnerError
	if inner.RequestID == "" || inner.RequestID != r.header.Get("request-id") || !isGUID(inner.RequestID) {
		t.Errorf("innerError request-id %q, header %q", inner.RequestID, r.header.Get("request-id"))
	}
	if inner.ClientRequestID != r.header.Get("client-request-id") || !isGUID(inner.ClientRequestID) {
		t.Errorf("innerError client-request-id %q, header %q", inner.ClientRequestID, r.header.Get("client-request-id"))
	}
	if _, err := time.Parse("2006-01-02T15:04:05", inner.Date); err != nil {
		t.Errorf("innerError date %q: %v", inner.Date, err)
	}
	return ge
}

// collection is a page of a Graph collection.
type collection struct {
	Context  string            `json:"@odata.context"`
	Count    *int              `json:"@odata.count"`
	NextLink string            `json:"@odata.nextLink"`
	Value    []json.RawMessage `json:"value"`
}

func (r response) page(t *testing.T) collection {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var c collection
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// ids lists the id of every item on a page.
func (c collection) ids(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, raw := range c.Value {
		var item struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			t.Fatal(err)
		}
		out = append(out, item.ID)
	}
	return out
}

// all follows nextLink to the end, sending the same headers on every page
// as a correct client does, and returns every id.
func (e *env) all(target string, headers ...string) []string {
	e.t.Helper()
	var ids []string
	for target != "" {
		p := e.get(target, headers...).page(e.t)
		ids = append(ids, p.ids(e.t)...)
		target = p.NextLink
	}
	return ids
}
