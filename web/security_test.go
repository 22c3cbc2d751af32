package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/web"
)

func TestStateChangingRequestsNeedTheSessionTokenAndThisSite(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	token := s.csrfToken(t, c)
	device := s.sim.Tenant().Devices[0]
	path := s.portal.URL + "/devices/" + device.ID + "/assistance"
	tests := map[string][]string{
		"no token":             {"HX-Request", "true"},
		"wrong token":          {"HX-Request", "true", "X-CSRF-Token", "forged"},
		"cross-site fetch":     {"HX-Request", "true", "X-CSRF-Token", token, "Sec-Fetch-Site", "cross-site"},
		"foreign Origin":       {"HX-Request", "true", "X-CSRF-Token", token, "Origin", "https://evil.example"},
		"same-site, other app": {"X-CSRF-Token", token, "Sec-Fetch-Site", "same-site"},
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			if resp := post(t, c, path, header...); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
		})
	}
	if n := len(s.graphCalls("POST", "/")); n != 0 {
		t.Fatalf("%d forged requests reached Graph", n)
	}
	genuine := assistRequest(s.portal.URL, "/devices/"+device.ID+"/assistance", device, token)
	genuine.Header.Set("Sec-Fetch-Site", "same-origin")
	genuine.Header.Set("Origin", s.portal.URL)
	resp, err := c.Do(genuine)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(s.sim.Actions()) != 1 {
		t.Fatalf("the genuine request: status %d, %d actions", resp.StatusCode, len(s.sim.Actions()))
	}

	// A forged sign-out does not sign the technician out.
	forged, err := c.PostForm(s.portal.URL+"/logout", url.Values{"csrf_token": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	forged.Body.Close()
	if forged.StatusCode != http.StatusForbidden {
		t.Fatalf("forged sign-out: status %d, want 403", forged.StatusCode)
	}
	if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusOK {
		t.Fatal("a forged sign-out ended the session")
	}
}

// Open-redirect strings from oauth2-proxy's advisories and the usual lists.
var hostileReturnTargets = []string{
	"//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
	"/\t/evil.example", "/\n/evil.example", "/%09/evil.example", "/%0a/evil.example", "/%2F%2Fevil.example",
	"/%5Cevil.example", "/./\\evil.example", "/.//evil.example", "https://evil.example/",
	"http:evil.example", "//evil.example/%2F..", "javascript:alert(1)", "/\\javascript:alert(1)",
	" //evil.example", "evil.example", "/login?return_to=//evil.example",
}

func TestReturnTargetsNeverLeaveTheSite(t *testing.T) {
	s := newStack(t)
	for _, target := range hostileReturnTargets {
		c := browser(t)
		page := document(t, get(t, c, s.portal.URL+"/login?return_to="+url.QueryEscape(target)))
		start := page.Find("[data-testid=sign-in]").AttrOr("href", "")
		if start != "/login?start=1" {
			t.Errorf("%q: the sign-in button goes to %q", target, start)
		}
		resp := s.signIn(t, c, target, "harper")
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("%q: after sign-in the browser went to %q, want /", target, got)
		}
	}
}

func TestEveryRouteButThePublicOnesNeedsSignIn(t *testing.T) {
	s := newStack(t)
	public := map[string]bool{
		"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
		"GET /static/*": true, "GET /language": true, "GET /login": true, "GET /auth/callback": true, "POST /logout": true,
	}
	for _, r := range routesOf(t, s) {
		if public[r.Method+" "+r.Path] {
			continue
		}
		path := strings.NewReplacer(":userId", "00000000-0000-4000-8000-000000000001", ":user", graphsim.DemoAdeleUPN,
			":deviceId", "00000000-0000-4000-8000-000000000002", ":scriptId", "00000000-0000-4000-8000-000000000003",
			":runStateId", "run-1", ":appId", strings.Repeat("ab", 32)).Replace(r.Path)
		req, _ := http.NewRequest(r.Method, s.portal.URL+path, nil)
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusSeeOther
		if r.Method != http.MethodGet {
			want = http.StatusUnauthorized
		}
		if resp.StatusCode != want {
			t.Errorf("%s %s signed out: status %d, want %d", r.Method, r.Path, resp.StatusCode, want)
		}
	}
	if len(s.sim.Requests()) != 0 {
		t.Fatalf("signed-out requests reached Graph: %d", len(s.sim.Requests()))
	}
}

func TestSignedInPagesAreNotCachedAndCookiesAreGuarded(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	resp := get(t, c, s.portal.URL+"/login?start=1")
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Errorf("session cookie %q lacks HttpOnly or SameSite=Lax", cookie)
	}
	c = s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	for _, path := range []string{"/", "/search?q=ad", "/users/" + adele.ID, "/devices/" + s.sim.Tenant().DevicesOfUser(adele.ID)[0].ID} {
		resp := get(t, c, s.portal.URL+path)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, resp.Header.Get("Cache-Control"))
		}
		if resp.Header.Get("Referrer-Policy") != "same-origin" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: hardening headers missing", path)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: CSP allows %q", path, csp)
		}
	}
}

func TestTokensNeverReachPagesURLsOrLogs(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	var seen strings.Builder
	resp := s.signIn(t, c, "/?q=adele", "harper")
	seen.WriteString(resp.Header.Get("Location"))
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	for _, path := range []string{"/?q=adele", "/search?q=adele", "/users/" + adele.ID, "/devices/" + device.ID} {
		resp := get(t, c, s.portal.URL+path)
		seen.WriteString(resp.Header.Get("Location") + body(t, resp))
	}
	seen.WriteString(body(t, s.assist(t, c, "/users/"+adele.ID+"/devices/"+device.ID+"/assistance", nil)))
	if strings.Contains(s.logs.String(), "test-secret") || strings.Contains(seen.String(), "test-secret") {
		t.Error("the client secret appears in a page or the log")
	}
	tokens := s.issuedTokens()
	if len(tokens) < 3 {
		t.Fatalf("recorded %d tokens, want access, refresh and ID token", len(tokens))
	}
	named := map[string]string{}
	for i, tok := range tokens {
		if strings.Contains(seen.String(), tok) {
			t.Error("a token appears in a page or a redirect")
		}
		named[fmt.Sprint("token ", i)] = tok
	}
	if leaked := leakedSecrets(s.logs.String(), named); len(leaked) > 0 {
		t.Errorf("in the log: %v", leaked)
	}
}

func TestRateLimits(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	token := s.csrfToken(t, c)
	var refused *http.Response
	for i := range 31 {
		device := s.sim.Tenant().Devices[i]
		resp, err := c.Do(assistRequest(s.portal.URL, "/devices/"+device.ID+"/assistance", device, token))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode == http.StatusTooManyRequests {
			refused = resp
			if i != 30 {
				t.Fatalf("refused request %d, the limit is 30", i+1)
			}
		}
	}
	if refused == nil || refused.Header.Get("Retry-After") == "" {
		t.Fatal("the 31st assistance request in a minute was not refused with Retry-After")
	}
	if text := document(t, refused).Text(); !strings.Contains(text, "Too many assistance requests") {
		t.Errorf("the refusal does not say why: %s", text)
	}
	if n := len(s.sim.Actions()); n != 30 {
		t.Fatalf("%d actions reached Graph, want 30", n)
	}
}

// Sign-in starts are counted per browser, so that one browser, or a page
// elsewhere that sends browsers to /login, cannot lock out an office
// behind one address; an address as a whole is bounded against floods.
func TestSignInStartsAreLimitedPerBrowserAndAddress(t *testing.T) {
	s := newStack(t)
	start := func(c *http.Client, header ...string) int {
		t.Helper()
		return get(t, c, s.portal.URL+"/login?start=1", header...).StatusCode
	}
	named := func() *http.Client {
		t.Helper()
		c := browser(t)
		get(t, c, s.portal.URL+"/login") // the sign-in page names the browser
		return c
	}
	a := named()
	for i := range 31 {
		if st := start(a, "Sec-Fetch-Site", "same-origin"); (st == http.StatusTooManyRequests) != (i == 30) {
			t.Fatalf("browser A's sign-in start %d: status %d", i+1, st)
		}
	}
	if st := start(named(), "Sec-Fetch-Site", "same-origin"); st != http.StatusSeeOther {
		t.Fatalf("browser B, behind the same address as A: status %d", st)
	}
	// A page on another site that sends a browser to start signing in gets
	// the sign-in page, and spends nothing.
	c := named()
	for range 40 {
		resp := get(t, c, s.portal.URL+"/login?start=1", "Sec-Fetch-Site", "cross-site")
		if resp.StatusCode != http.StatusOK || document(t, resp).Find("[data-testid=sign-in]").Length() != 1 {
			t.Fatalf("a start sent from another site: status %d", resp.StatusCode)
		}
	}
	if st := start(c, "Sec-Fetch-Site", "same-origin"); st != http.StatusSeeOther {
		t.Fatalf("after 40 starts from another site, the browser's own: status %d", st)
	}
	// A flood of new browsers from one address stops at ten browsers' worth.
	refused := 0
	for range 10 * 30 {
		if start(named()) == http.StatusTooManyRequests {
			refused++
		}
	}
	if used := 31 + 1 + 1; refused != used {
		t.Fatalf("%d of 300 new browsers' starts refused, want the %d beyond the address's 300", refused, used)
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	req, _ := http.NewRequest(http.MethodPost, s.portal.URL+"/logout", strings.NewReader(strings.Repeat("a", 70<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// A body sent in chunks, with no length announced, is held to the same
// limit, and a request whose body was not read never reaches Graph.
func TestOversizedChunkedBodyIsRefused(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[0]
	path := "/devices/" + device.ID + "/assistance"
	form := s.assistForm(t, c, path).Encode()
	for _, size := range []int{100 << 10, 10 << 20} {
		body := io.MultiReader(strings.NewReader(form+"&pad="), strings.NewReader(strings.Repeat("a", size)))
		req, _ := http.NewRequest(http.MethodPost, s.portal.URL+path, io.NopCloser(body)) // no length: chunked
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", s.csrfToken(t, c))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || len(req.TransferEncoding) == 0 && req.ContentLength > 0 {
			t.Errorf("%d bytes chunked: status %d, want 413", size, resp.StatusCode)
		}
	}
	if n := len(s.graphCalls("POST", "/")); n != 0 {
		t.Fatalf("%d requests reached Graph", n)
	}
	if resp := signintest.Post(t, c, s.portal.URL, path, s.assistForm(t, c, path)); resp.StatusCode != http.StatusOK {
		t.Fatalf("a small form after them: status %d", resp.StatusCode)
	}
}

func routesOf(t *testing.T, s *stack) []*echo.Route {
	t.Helper()
	routes := web.Routes(s.handler)
	if len(routes) < 10 {
		t.Fatalf("only %d routes found", len(routes))
	}
	return routes
}

func TestSessionsEndWhenIdleAndAtTheirAbsoluteLifetime(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		s := newStackWith(t, stackOptions{idleTimeout: 400 * time.Millisecond})
		c := s.signedIn(t)
		if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("fresh session: status %d", resp.StatusCode)
		}
		time.Sleep(600 * time.Millisecond)
		if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("idle session still open: status %d", resp.StatusCode)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		s := newStack(t)
		s.sessions.Lifetime = 900 * time.Millisecond
		c := s.signedIn(t)
		deadline := time.Now().Add(1200 * time.Millisecond)
		for time.Now().Before(deadline) {
			get(t, c, s.portal.URL+"/") // activity does not extend the absolute lifetime
			time.Sleep(150 * time.Millisecond)
		}
		if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session outlived its lifetime: status %d", resp.StatusCode)
		}
	})
}

// HEAD is answered as GET without a body, on every GET route.
func TestHeadIsAnsweredAsGet(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	signedOut := browser(t)
	for path, c := range map[string]*http.Client{"/healthz": signedOut, "/": c, "/static/app.css": c, "/login": signedOut} {
		req, _ := http.NewRequest(http.MethodHead, s.portal.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(b) != 0 || resp.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: status %d, %d bytes of body, Content-Type %q", path, resp.StatusCode, len(b), resp.Header.Get("Content-Type"))
		}
	}
	req, _ := http.NewRequest(http.MethodHead, s.portal.URL+"/logout", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /logout, a POST route: %v, %v", resp.StatusCode, err)
	}
}
