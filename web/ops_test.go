package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/store"
)

// migratedVersion is the schema version store.Open left: the newest this
// binary knows, which readiness then expects.
func migratedVersion(t testing.TB, db *store.DB) int64 {
	t.Helper()
	v, err := db.SchemaVersion(context.Background())
	if err != nil || v == 0 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	return v
}

// requestLines are the log's per-request lines, decoded.
func requestLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, sc.Text())
		}
		if line["msg"] == "request" {
			lines = append(lines, line)
		}
	}
	return lines
}

// logged reports whether lines hold every request id in ids and a line
// for route.
func logged(lines []map[string]any, ids map[string]bool, route string) bool {
	seen := map[any]bool{}
	for _, l := range lines {
		seen[l["request_id"]], seen[l["route"]] = true, true
	}
	for id := range ids {
		if !seen[id] {
			return false
		}
	}
	return seen[route]
}

// leakedSecrets names the secrets, or any long dot-separated part of one
// (a JWT's payload, say), that appear in text.
func leakedSecrets(text string, secrets map[string]string) []string {
	var leaked []string
	for name, secret := range secrets {
		for _, part := range append(strings.Split(secret, "."), secret) {
			if len(part) > 20 && strings.Contains(text, part) {
				leaked = append(leaked, name)
				break
			}
		}
	}
	return leaked
}

// A technician's whole visit, logged as JSON: every request is one line
// with its id (also sent back to the browser), route pattern, status and
// duration, and the technician's oid once signed in; a Graph failure
// carries Graph's ids. No token and no session cookie reaches the log.
func TestRequestLogOfAWholeVisit(t *testing.T) {
	s := newStack(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	failing := "/beta/users/" + adele.ID + "/managedDevices/" + device.ID + "/requestRemoteAssistance"
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != failing {
			return false
		}
		w.Header().Set("request-id", "graph-req-0001")
		w.Header().Set("client-request-id", r.Header.Get("client-request-id"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":{"code":"Forbidden","message":"no"}}`))
		return true
	})

	c := browser(t)
	secrets := map[string]string{}
	keepCookies := func() {
		u, _ := url.Parse(s.portal.URL)
		for _, ck := range c.Jar.Cookies(u) {
			secrets["cookie "+ck.Name+" "+ck.Value[:4]] = ck.Value
		}
	}
	s.signIn(t, c, "/", "harper")
	keepCookies()
	ids := map[string]bool{}
	for _, path := range []string{"/search?q=adele", "/users/" + adele.ID} {
		resp := get(t, c, s.portal.URL+path)
		ids[resp.Header.Get("X-Request-Id")] = true
	}
	other := s.sim.Tenant().Devices[0]
	if other.ID == device.ID {
		other = s.sim.Tenant().Devices[1]
	}
	resp := s.assist(t, c, "/devices/"+other.ID+"/assistance", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the successful request: status %d", resp.StatusCode)
	}
	ids[resp.Header.Get("X-Request-Id")] = true
	resp = s.assist(t, c, "/users/"+adele.ID+"/devices/"+device.ID+"/assistance", nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("the failing request: status %d", resp.StatusCode)
	}
	ids[resp.Header.Get("X-Request-Id")] = true
	keepCookies()
	out, err := c.PostForm(s.portal.URL+"/logout", url.Values{"csrf_token": {s.csrfToken(t, c)}})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	for i, tok := range s.issuedTokens() {
		secrets["token "+string(rune('a'+i))] = tok
	}

	// A line is written after its response, so under load a later
	// request's line can come first: wait until every one is there.
	var lines []map[string]any
	for range 200 {
		lines = requestLines(t, s.logs.String())
		if logged(lines, ids, "/logout") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	seen := map[string]bool{}
	graphFailureLogged := false
	harper := personID(t, "harper")
	for _, l := range lines {
		route, _ := l["route"].(string)
		id, _ := l["request_id"].(string)
		if id == "" || route == "" || l["status"] == nil || l["duration"] == nil || l["method"] == nil {
			t.Errorf("a request line lacks a field: %v", l)
		}
		seen[id] = true
		signedIn := route == "/search" || route == "/users/:user" || strings.HasSuffix(route, "/assistance")
		if signedIn && l["technician_oid"] != harper {
			t.Errorf("%s: technician_oid %v, want %s", route, l["technician_oid"], harper)
		}
		if route == "/users/:userId/devices/:deviceId/assistance" {
			graphFailureLogged = true
			if l["graph_request_id"] != "graph-req-0001" || l["client_request_id"] == "" || l["client_request_id"] == nil {
				t.Errorf("the Graph failure's line lacks Graph's ids: %v", l)
			}
		}
	}
	if !graphFailureLogged {
		t.Error("no line for the request Graph refused")
	}
	for id := range ids {
		if id == "" || !seen[id] {
			t.Errorf("X-Request-Id %q names no log line", id)
		}
	}
	if len(lines) < 8 {
		t.Fatalf("%d request lines for a whole visit", len(lines))
	}
	if testing.Verbose() {
		t.Log(s.logs.String())
	}
	if leaked := leakedSecrets(s.logs.String(), secrets); len(leaked) > 0 || len(secrets) < 4 {
		t.Fatalf("in the log: %v (of %d secrets looked for)", leaked, len(secrets))
	}
}

// An X-Request-Id from the browser is not believed (the stack trusts no
// proxy): the line and the answer carry an id of the portal's own.
func TestRequestIDFromAnUntrustedClientIsReplaced(t *testing.T) {
	s := newStack(t)
	resp := get(t, browser(t), s.portal.URL+"/healthz", "X-Request-Id", "forged-id")
	got := resp.Header.Get("X-Request-Id")
	if got == "" || got == "forged-id" {
		t.Fatalf("X-Request-Id %q", got)
	}
	for i := 0; i < 200 && !logged(requestLines(t, s.logs.String()), map[string]bool{got: true}, "/healthz"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(s.logs.String(), got) || strings.Contains(s.logs.String(), "forged-id") {
		t.Fatal("the log holds the client's request id, or not the portal's own")
	}
}

func TestReadyzAndMetricsOnTheStack(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	resp := get(t, browser(t), s.portal.URL+"/readyz")
	if b := body(t, resp); resp.StatusCode != http.StatusOK || b != "ok\n" {
		t.Fatalf("/readyz: %d %q", resp.StatusCode, b)
	}
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	get(t, c, s.portal.URL+"/users/"+adele.ID)
	s.assist(t, c, "/devices/"+s.sim.Tenant().Devices[0].ID+"/assistance", nil)
	// The request is recorded after its response is written: allow the
	// scrape to overtake it once or twice.
	want := `assistdesk_http_request_duration_seconds_count{method="GET",route="/users/:user",status="200"} 1`
	var metrics string
	for range 50 {
		if metrics = body(t, get(t, browser(t), s.portal.URL+"/metrics")); strings.Contains(metrics, want) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{want, "assistdesk_sessions_active 1",
		`assistdesk_assistance_attempts_total{outcome="succeeded",route="2"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, adele.ID) {
		t.Error("/metrics names a user")
	}
}

// Probes and scrapers reach an instance by whatever name works; the
// redirect to the canonical loopback name is for browsers only. None of
// the three answers may be cached on the way.
func TestOpsEndpointsAnswerOnAnyHostName(t *testing.T) {
	s := newStack(t)
	other := strings.Replace(s.portal.URL, "127.0.0.1", "localhost", 1)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp := get(t, browser(t), other+path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s via localhost: status %d, Cache-Control %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	if resp := get(t, browser(t), other+"/login"); resp.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("/login via localhost: status %d, want the redirect to 127.0.0.1", resp.StatusCode)
	}
}
