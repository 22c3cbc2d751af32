package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestDeepLinkSurvivesSignIn(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	deepLink := "/?q=adele&ticket=INC-1"

	resp := get(t, c, s.portal.URL+deepLink)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed-out deep link: status %d, want 303", resp.StatusCode)
	}
	login, _ := url.Parse(resolve(t, resp))
	if login.Path != "/login" || login.Query().Get("return_to") != deepLink {
		t.Fatalf("redirected to %s, want /login keeping return_to=%s", login, deepLink)
	}
	page := document(t, get(t, c, login.String()))
	start := page.Find("[data-testid=sign-in]").AttrOr("href", "")
	if !strings.Contains(start, url.QueryEscape(deepLink)) {
		t.Fatalf("sign-in button %q loses the deep link", start)
	}

	resp = s.signIn(t, c, deepLink, "harper")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != deepLink {
		t.Fatalf("after sign-in: status %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), deepLink)
	}
	doc := document(t, get(t, c, s.portal.URL+deepLink))
	if got := doc.Find("[data-testid=search-input]").AttrOr("value", ""); got != "adele" {
		t.Errorf("search field = %q, want adele", got)
	}
	if got := doc.Find("[data-testid=ticket]").Text(); !strings.Contains(got, "INC-1") {
		t.Errorf("ticket shown = %q, want INC-1", got)
	}
	if got := doc.Find("[data-testid=technician]").Text(); got != "Harper Helpdesk" {
		t.Errorf("technician shown = %q", got)
	}
}

func TestCallbackRefusesBadStateBeforeRedeemingCode(t *testing.T) {
	for name, tamper := range map[string]func(url.Values){
		"missing state": func(q url.Values) { q.Del("state") },
		"wrong state":   func(q url.Values) { q.Set("state", "forged-"+q.Get("state")) },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			c := browser(t)
			callback, _ := url.Parse(s.toCallback(t, c, "/", "harper"))
			genuine := callback.Query()
			forged := callback.Query()
			tamper(forged)
			callback.RawQuery = forged.Encode()

			resp := get(t, c, callback.String())
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if n := s.tokenCalls.Load(); n != 0 {
				t.Fatalf("the code was sent to the token endpoint %d time(s) for a bad state", n)
			}
			// The code is still unused, so the genuine callback works.
			callback.RawQuery = genuine.Encode()
			if resp := get(t, c, callback.String()); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("genuine callback after a forged one: status %d", resp.StatusCode)
			}
		})
	}
}

func TestStateIsSingleUseAndBoundToTheBrowser(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	callback := s.toCallback(t, c, "/", "harper")

	other := browser(t)
	if resp := get(t, other, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback in another browser: status %d, want 400", resp.StatusCode)
	}
	if resp := get(t, c, callback); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback in the starting browser: status %d, want 303", resp.StatusCode)
	}
	if resp := get(t, c, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: status %d, want 400", resp.StatusCode)
	}
}

func TestSessionIDChangesAtSignIn(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	callback := s.toCallback(t, c, "/", "harper")
	portal, _ := url.Parse(s.portal.URL)
	before := sessionCookie(c, portal)
	if before == "" {
		t.Fatal("no session cookie while signing in")
	}
	get(t, c, callback)
	after := sessionCookie(c, portal)
	if after == "" || after == before {
		t.Fatalf("session id not renewed at sign-in (before %q, after %q)", before, after)
	}

	planted := browser(t)
	planted.Jar.SetCookies(portal, []*http.Cookie{{Name: "assistdesk_session", Value: before}})
	if resp := get(t, planted, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the pre-sign-in cookie still opens the portal: status %d", resp.StatusCode)
	}
}

func sessionCookie(c *http.Client, u *url.URL) string {
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "assistdesk_session" {
			return ck.Value
		}
	}
	return ""
}

func TestUnauthorisedPersonGetsNamedRole(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	resp := s.signIn(t, c, "/", "sam")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	text := document(t, resp).Find("[data-testid=problem]").Text()
	for _, want := range []string{"Not authorised", "Sam Sales", "Assistdesk.Technician"} {
		if !strings.Contains(text, want) {
			t.Errorf("403 page does not say %q:\n%s", want, text)
		}
	}
	if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an unauthorised person got a session: / answered %d", resp.StatusCode)
	}
}

func TestAuditorWithoutTechnicianRoleCannotSearch(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	if resp := s.signIn(t, c, "/", "avery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("auditor sign-in: status %d", resp.StatusCode)
	}
	resp := get(t, c, s.portal.URL+"/")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("auditor on the search page: status %d, want 403", resp.StatusCode)
	}
	if text := document(t, resp).Text(); !strings.Contains(text, "Assistdesk.Technician") {
		t.Errorf("403 page does not name the missing role:\n%s", text)
	}
}

func TestHtmxRequestWithoutSessionGetsHXRedirect(t *testing.T) {
	s := newStack(t)
	resp := get(t, browser(t), s.portal.URL+"/?q=ada",
		"HX-Request", "true", "HX-Current-URL", s.portal.URL+"/?q=ada&ticket=INC-9")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	want := "/login?return_to=" + url.QueryEscape("/?q=ada&ticket=INC-9")
	if got := resp.Header.Get("HX-Redirect"); got != want {
		t.Fatalf("HX-Redirect = %q, want %q", got, want)
	}
	if resp.Header.Get("Location") != "" {
		t.Fatal("an htmx request got a plain redirect")
	}
}

// A request for assistance clicked after the session ended is not sent,
// and the sign-in page the browser is taken to says so: the technician
// must not come back believing Intune was asked.
func TestAnActionAfterTheSessionEndedSaysItWasNotDone(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	form := s.assistForm(t, c, "/devices/"+s.sim.Tenant().Devices[7].ID+"/assistance")
	token := s.csrfToken(t, c)
	page := s.portal.URL + "/devices/" + s.sim.Tenant().Devices[7].ID + "?ticket=INC-4"
	if resp, err := c.PostForm(s.portal.URL+"/logout", url.Values{"csrf_token": {token}}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, s.portal.URL+"/devices/"+s.sim.Tenant().Devices[7].ID+"/assistance", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", page)
	req.Header.Set("X-CSRF-Token", token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	target := resp.Header.Get("HX-Redirect")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(target, "/login?") {
		t.Fatalf("status %d, HX-Redirect %q", resp.StatusCode, target)
	}
	notice := document(t, get(t, c, s.portal.URL+target)).Find("[data-testid=not-done]").Text()
	if !strings.Contains(notice, "nothing was sent to Intune") {
		t.Errorf("the sign-in page after an action that was not done says %q", notice)
	}
	if n := len(s.sim.Actions()); n != 0 {
		t.Fatalf("%d actions reached Graph without a session", n)
	}
	// Back from signing in, the technician is on the page they clicked on.
	u, _ := url.Parse(target)
	if got := u.Query().Get("return_to"); got != "/devices/"+s.sim.Tenant().Devices[7].ID+"?ticket=INC-4" {
		t.Errorf("return_to %q", got)
	}
}

func TestLogoutDestroysSession(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	s.signIn(t, c, "/", "harper")
	if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: status %d", resp.StatusCode)
	}
	portal, _ := url.Parse(s.portal.URL)
	cookie := sessionCookie(c, portal)

	if resp := get(t, c, s.portal.URL+"/logout"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout: status %d, want 405", resp.StatusCode)
	}
	if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /logout signed the technician out (status %d)", resp.StatusCode)
	}

	resp, err := c.PostForm(s.portal.URL+"/logout", url.Values{"csrf_token": {s.csrfToken(t, c)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	end, _ := url.Parse(resolve(t, resp))
	if !strings.HasPrefix(end.String(), s.idp.URL) || end.Query().Get("client_id") != s.clientID ||
		end.Query().Get("logout_hint") != "harper@contoso.example" || end.Query().Has("id_token_hint") {
		t.Fatalf("logout went to %s, want the provider's end-session with client_id and logout_hint", end)
	}

	replay := browser(t)
	replay.Jar.SetCookies(portal, []*http.Cookie{{Name: "assistdesk_session", Value: cookie}})
	if resp := get(t, replay, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the session cookie still works after logout: status %d", resp.StatusCode)
	}
}

func TestProviderErrorIsShownEscapedWithoutSession(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	q := url.Values{
		"error":             {"access_denied"},
		"error_description": {`AADSTS50105: <script>alert(1)</script> not assigned`},
	}
	resp := get(t, c, s.portal.URL+"/auth/callback?"+q.Encode())
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	html := body(t, resp)
	if strings.Contains(html, "<script>alert") {
		t.Fatal("the provider's error description was rendered as markup")
	}
	if !strings.Contains(html, "AADSTS50105") || !strings.Contains(html, "not assigned to the assistdesk application") {
		t.Fatalf("the page does not explain AADSTS50105:\n%s", html)
	}
	if resp := get(t, c, s.portal.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a refused sign-in left a session: status %d", resp.StatusCode)
	}
}

func TestOtherLoopbackNameRedirectsToCanonicalHost(t *testing.T) {
	s := newStack(t)
	portal, _ := url.Parse(s.portal.URL)
	other := "http://localhost:" + portal.Port() + "/?q=a%20b&ticket=INC-1"
	resp := get(t, browser(t), other)
	if resp.StatusCode != http.StatusPermanentRedirect {
		t.Fatalf("status %d, want 308", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Location"), s.portal.URL+"/?q=a%20b&ticket=INC-1"; got != want {
		t.Fatalf("Location = %q, want %q", got, want)
	}
}

// A forged code with the attacker's own valid state is bad input: a 400
// with a sentence, logged as a warning. An identity provider that does not
// answer is still a 502.
func TestAForgedCodeIsRefusedAsBadInputNotAnOutage(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	callback, _ := url.Parse(s.toCallback(t, c, "/", "harper"))
	q := callback.Query()
	q.Set("code", "forged-code")
	callback.RawQuery = q.Encode()
	resp := get(t, c, callback.String())
	text := document(t, resp).Find("[data-testid=problem]").Text()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text, "did not accept the code") {
		t.Fatalf("a forged code: status %d, %s", resp.StatusCode, text)
	}
	var line struct{ Level, Route string }
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, `"route":"/auth/callback"`) {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line.Level != "WARN" {
		t.Fatalf("the forged code was logged at %q, want WARN:\n%s", line.Level, s.logs.String())
	}

	down := browser(t)
	callback, _ = url.Parse(s.toCallback(t, down, "/", "harper"))
	s.idp.Close()
	if resp := get(t, down, callback.String()); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("with the provider down: status %d, want 502", resp.StatusCode)
	}
}
