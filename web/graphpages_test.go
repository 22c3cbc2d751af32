package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// signedIn returns a browser signed in as Harper.
func (s *stack) signedIn(t testing.TB) *http.Client {
	t.Helper()
	c := browser(t)
	if resp := s.signIn(t, c, "/", "harper"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: status %d", resp.StatusCode)
	}
	return c
}

// graphCalls counts the simulator's requests whose path has this prefix.
func (s *stack) graphCalls(method, pathPrefix string) []graphsim.Request {
	var out []graphsim.Request
	for _, r := range s.sim.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

func TestSearchPageAndFragment(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)

	page := get(t, c, s.portal.URL+"/search?q=adele&ticket=INC-7")
	if page.StatusCode != http.StatusOK || !varies(page) {
		t.Fatalf("page: status %d, Vary %q", page.StatusCode, page.Header.Values("Vary"))
	}
	doc := document(t, page)
	if doc.Find("html").Length() != 1 || doc.Find("[data-testid=search-input]").AttrOr("value", "") != "adele" {
		t.Fatal("/search without htmx is not the whole page with the query filled in")
	}
	hit := doc.Find("[data-testid=user-hit] a").First()
	if hit.Text() != "Adele Vance" {
		t.Fatalf("first hit %q, want Adele Vance", hit.Text())
	}
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	if href := hit.AttrOr("href", ""); href != "/users/"+adele.ID+"?ticket=INC-7" {
		t.Errorf("hit links to %q", href)
	}

	frag := get(t, c, s.portal.URL+"/search?q=adele", "HX-Request", "true")
	body := body(t, frag)
	if frag.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, `id="results"`) {
		t.Fatalf("fragment: status %d, body %.200s", frag.StatusCode, body)
	}
	if !varies(frag) {
		t.Error("fragment lacks Vary: HX-Request")
	}
	calls := s.graphCalls("GET", "/v1.0/users")
	if len(calls) != 2 {
		t.Fatalf("Graph saw %d user searches for 2 requests", len(calls))
	}
	for _, call := range calls {
		if call.ConsistencyLevel != "eventual" || call.Status != http.StatusOK {
			t.Errorf("search call: ConsistencyLevel %q status %d", call.ConsistencyLevel, call.Status)
		}
	}
}

func TestSearchFindsHardNames(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	for q, want := range map[string]string{
		"O'Brien":   "Seán O'Brien",
		"zoë":       "Zoë Brontë",
		`"Bobby"`:   `Robert "Bobby" Tables`,
		"nobody-zz": "",
	} {
		doc := document(t, get(t, c, s.portal.URL+"/search?q="+url.QueryEscape(q), "HX-Request", "true"))
		got := doc.Find("[data-testid=user-hit] a").First().Text()
		if got != want {
			t.Errorf("search %q: first hit %q, want %q", q, got, want)
		}
		if want == "" && doc.Find("[data-testid=no-results]").Length() != 1 {
			t.Errorf("search %q: no 'no match' message", q)
		}
	}
	if resp := get(t, c, s.portal.URL+"/search?q="+strings.Repeat("a", 257)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 257-character query: status %d, want 400", resp.StatusCode)
	}
}

func TestUserPage(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	tenant := s.sim.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	kiosk, _ := tenant.UserByUPN(graphsim.DemoKioskUPN)
	guest, _ := tenant.UserByUPN(graphsim.DemoGuestUPN)

	tests := []struct {
		name, ref string
		status    int
		devices   int
		want      string
	}{
		{"by object id", adele.ID, 200, len(tenant.DevicesOfUser(adele.ID)), "Adele Vance"},
		{"by UPN", graphsim.DemoAdeleUPN, 200, len(tenant.DevicesOfUser(adele.ID)), "Adele Vance"},
		{"more devices than a page of the portal", kiosk.ID, 200, 50, "Showing the first 50"},
		{"guest without devices", guest.UserPrincipalName, 200, 0, "has no devices"},
		{"unknown user", "00000000-0000-4000-8000-000000000000", 404, 0, "There is no user"},
		{"not an id", "adele", 400, 0, "object id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.sim.Requests())
			resp := get(t, c, s.portal.URL+"/users/"+url.PathEscape(tt.ref))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			doc := document(t, resp)
			if !strings.Contains(doc.Text(), tt.want) {
				t.Errorf("page does not say %q", tt.want)
			}
			if n := doc.Find("[data-testid=device]").Length(); n != tt.devices {
				t.Errorf("%d device cards, want %d", n, tt.devices)
			}
			// Each device has one request control: the button, or for a
			// device the portal knows cannot take it, the reason and "Try anyway".
			doc.Find("[data-testid=device]").Each(func(_ int, d *goqSel) {
				block := d.Find("[data-testid=assist-block]")
				buttons := block.Find("button[data-testid=assist], button[data-testid=try-anyway]")
				blocked := block.Find("[data-testid=blocked]").Length() == 1
				if buttons.Length() != 1 || block.Find("[role=status]").Length() != 1 ||
					blocked != (buttons.AttrOr("data-testid", "") == "try-anyway") {
					t.Errorf("device %s: %d request controls, blocked %v, %d status regions", d.AttrOr("data-device-id", ""),
						buttons.Length(), blocked, block.Find("[role=status]").Length())
				}
				if !blocked && buttons.Text() != "Request assistance" {
					t.Errorf("the button says %q", buttons.Text())
				}
			})
			if tt.status == 400 && len(s.sim.Requests()) != before {
				t.Error("an invalid id reached Graph")
			}
		})
	}
}

func TestLongDeviceListsAreCutWithAVisibleMoreControl(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	kiosk, _ := s.sim.Tenant().UserByUPN(graphsim.DemoKioskUPN)
	first := document(t, get(t, c, s.portal.URL+"/users/"+kiosk.ID+"?ticket=INC-9"))
	more := first.Find("[data-testid=show-more]").AttrOr("href", "")
	if more != "/users/"+kiosk.ID+"?show=250&ticket=INC-9" {
		t.Fatalf("the more control links to %q", more)
	}
	all := document(t, get(t, c, s.portal.URL+more))
	if n := all.Find("[data-testid=device]").Length(); n != 130 {
		t.Fatalf("%d devices after Show more, want all 130 (two Graph pages)", n)
	}
	if all.Find("[data-testid=more]").Length() != 0 {
		t.Error("a complete list still offers more")
	}
	if resp := get(t, c, s.portal.URL+"/users/"+kiosk.ID+"?show=99999"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("show=99999: status %d", resp.StatusCode)
	}
}

func TestDevicePage(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]

	doc := document(t, get(t, c, s.portal.URL+"/devices/"+device.ID+"?ticket=INC-3"))
	if got := doc.Find("h1").Text(); got != device.DeviceName {
		t.Fatalf("device page shows %q, want %q", got, device.DeviceName)
	}
	form := doc.Find("[data-testid=device] form.assist-form")
	if post := form.AttrOr("hx-post", ""); post != "/devices/"+device.ID+"/assistance?ticket=INC-3" || form.AttrOr("action", "") != post {
		t.Errorf("the request form posts to %q", post)
	}
	// Intune's enumerations are said in words, not as Graph spells them.
	apple := 0
	for _, d := range s.sim.Tenant().DevicesOfUser(adele.ID) {
		page := document(t, get(t, c, s.portal.URL+"/devices/"+d.ID, "Accept-Language", "de-DE"))
		enrollment, management := page.Find("[data-testid=enrollment-type]").Text(), page.Find("[data-testid=management-state]").Text()
		if enrollment == "" || enrollment == d.DeviceEnrollmentType || management == "" || management == d.ManagementState {
			t.Errorf("%s (%s, %s): enrolment type %q, management %q", d.DeviceName, d.DeviceEnrollmentType, d.ManagementState, enrollment, management)
		}
		if d.DeviceEnrollmentType == "appleBulkWithUser" {
			apple++
			if enrollment != "Automatisierte Apple-Registrierung, mit Benutzer" {
				t.Errorf("%s: an Apple automated enrolment says %q", d.DeviceName, enrollment)
			}
		}
		if d.ManagementState == "managed" && management != "Verwaltet" {
			t.Errorf("%s: a managed device says %q", d.DeviceName, management)
		}
	}
	if apple == 0 {
		t.Error("none of Adele's devices came through Apple's automated enrolment: the demo tenant changed")
	}
	for ref, status := range map[string]int{"00000000-0000-4000-8000-000000000000": 404, "not-a-guid": 400} {
		if resp := get(t, c, s.portal.URL+"/devices/"+ref); resp.StatusCode != status {
			t.Errorf("/devices/%s: status %d, want %d", ref, resp.StatusCode, status)
		}
	}
}

func TestRequestAssistanceSucceedsOnRoute1(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]

	resp := s.assist(t, c, "/users/"+adele.ID+"/devices/"+device.ID+"/assistance", nil)
	doc := document(t, resp)
	request := doc.Find("[data-testid=request]")
	if resp.StatusCode != http.StatusOK || request.AttrOr("data-phase", "") != "accepted" ||
		request.Find("[data-testid=graph-status]").Text() != "HTTP 204 No Content" {
		t.Fatalf("status %d: %s", resp.StatusCode, doc.Text())
	}
	if say := request.Find(".say").Text(); !strings.Contains(say, "Adele Vance") || !strings.Contains(say, "Company Portal") {
		t.Errorf("the outcome does not say what to tell the caller: %q", say)
	}
	actions := s.sim.Actions()
	if len(actions) != 1 || actions[0].Route != 1 || actions[0].DeviceID != device.ID {
		t.Fatalf("Graph executed %+v, want one route-1 action on %s", actions, device.ID)
	}
	harper := s.provider.LastAccessTokenID(personID(t, "harper"))
	if actions[0].TokenID != harper {
		t.Errorf("the action carried token %q, not the one issued at Harper's sign-in (%q)", actions[0].TokenID, harper)
	}
}

func TestRoutingRefusalFallsBackToRoute2Once(t *testing.T) {
	s := newStackRefusing(t, 1)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]

	resp := s.assist(t, c, "/users/"+adele.ID+"/devices/"+device.ID+"/assistance", nil)
	doc := document(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(doc.Text(), "204") {
		t.Fatalf("status %d: %s", resp.StatusCode, doc.Text())
	}
	if !strings.Contains(doc.Find("[data-testid=route]").Text(), "(route 2)") {
		t.Errorf("the outcome does not say it fell back to route 2: %s", doc.Text())
	}
	if actions := s.sim.Actions(); len(actions) != 1 || actions[0].Route != 2 || actions[0].DeviceID != device.ID {
		t.Fatalf("executed actions %+v, want exactly one on route 2", actions)
	}
	if n := len(s.graphCalls("POST", "/beta/users/")); n != 1 {
		t.Errorf("route 1 was tried %d times, want 1", n)
	}
}

func TestRequestAssistanceFailuresShowStatusCodeAndRequestID(t *testing.T) {
	tests := []struct {
		status   int
		code     string
		header   string
		sentence string
	}{
		{401, "InvalidAuthenticationToken", "", "sign in again"},
		{403, "Forbidden", "", "Intune role"},
		{404, "ResourceNotFound", "", "scope tags"},
		{400, "BadRequest", "", "malformed"},
		{500, "InternalServerError", "", "failed to answer"},
		{502, "BadGateway", "", "may still have accepted"},
		{503, "ServiceUnavailable", "30", "Try again in 30\u00a0s"},
		{504, "GatewayTimeout", "", "may still have accepted"},
	}
	s := newStack(t)
	c := s.signedIn(t)
	for i, tt := range tests {
		device := s.sim.Tenant().Devices[i] // a device each, clear of the duplicate guard
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rid := "rid-" + strconv.Itoa(tt.status)
			s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost {
					return false
				}
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"error":{"code":"` + tt.code + `","message":"raw graph text","innerError":{"date":"2026-11-28T10:00:00","request-id":"` + rid + `"}}}`))
				return true
			})
			defer s.failGraph(nil)
			resp := s.assist(t, c, "/devices/"+device.ID+"/assistance", nil)
			doc := document(t, resp)
			text := doc.Find("[data-testid=request]").Text()
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("portal status %d, want 502", resp.StatusCode)
			}
			for _, want := range []string{"HTTP " + strconv.Itoa(tt.status), tt.code, rid, tt.sentence} {
				if !strings.Contains(text, want) {
					t.Errorf("outcome lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "raw graph text") {
				t.Error("Graph's raw message reached the page")
			}
		})
	}
	if n := len(s.sim.Actions()); n != 0 {
		t.Errorf("%d actions executed behind the faults", n)
	}
}

func TestRequestAssistanceRefusesBadIDsWithoutCallingGraph(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	for _, path := range []string{
		"/devices/not-a-guid/assistance",
		"/users/adele/devices/00000000-0000-4000-8000-000000000000/assistance",
		"/users/" + url.PathEscape("a/b@x.example") + "/devices/00000000-0000-4000-8000-000000000000/assistance",
	} {
		if resp := s.htmxPost(t, c, path); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 400", path, resp.StatusCode)
		}
	}
	// A device's facts come from the page that showed it, signed: a
	// request that does not carry them, or carries others, is refused.
	device := s.sim.Tenant().Devices[0]
	path := "/devices/" + device.ID + "/assistance"
	forged := s.assistForm(t, c, path)
	forged.Set("device_name", "CEO-LAPTOP")
	for name, form := range map[string]url.Values{"no facts": nil, "changed facts": forged} {
		if resp := signintest.Post(t, c, s.portal.URL, path, form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
	}
	if n := len(s.graphCalls("POST", "/")); n != 0 {
		t.Fatalf("%d POSTs reached Graph", n)
	}
}

func varies(resp *http.Response) bool {
	return strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "HX-Request")
}

func TestARefusedTokenIsRenewedOnceAndTheRequestResent(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[7]
	refusals := 0
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || refusals > 0 {
			return false
		}
		refusals++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid.","innerError":{"request-id":"r401"}}}`))
		return true
	})
	signInToken := s.provider.LastAccessTokenID(personID(t, "harper"))
	resp := s.assist(t, c, "/devices/"+device.ID+"/assistance", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body(t, resp))
	}
	actions := s.sim.Actions()
	if len(actions) != 1 || actions[0].TokenID == signInToken || actions[0].TokenID != s.provider.LastAccessTokenID(personID(t, "harper")) {
		t.Fatalf("actions %+v: want one, made with the renewed token", actions)
	}
}

func TestAClaimsChallengeIsNotRetriedWithARefreshedToken(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[8]
	posts := 0
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		posts++
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="`)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Continuous access evaluation","innerError":{"request-id":"rcae"}}}`))
		return true
	})
	resp := s.assist(t, c, "/devices/"+device.ID+"/assistance", nil)
	if posts != 1 {
		t.Fatalf("Graph got %d POSTs for a claims challenge, want 1 (a refreshed token cannot satisfy it)", posts)
	}
	redirect := resp.Header.Get("HX-Redirect")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(redirect, "/login?") || !strings.Contains(redirect, "claims=") {
		t.Fatalf("a claims challenge answered %d with HX-Redirect %q, want a new sign-in with the claims", resp.StatusCode, redirect)
	}
	// Signed in as they are, the technician is still sent to the provider,
	// with the claims as JSON.
	start := get(t, c, s.portal.URL+redirect)
	authorize, _ := url.Parse(resolve(t, start))
	if !strings.HasPrefix(authorize.String(), s.idp.URL) || authorize.Query().Get("claims") != `{"access_token":{}}` {
		t.Fatalf("the new sign-in goes to %s", authorize)
	}
}

func TestAfterThe204TheOutcomeWatchesTheDevice(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	s.sim.SetSessionDelay(0)
	ok, broken := supported(t, s.sim.Tenant(), 10), supported(t, s.sim.Tenant(), 11)
	s.sim.SetDeviceFault(broken.ID, graphsim.SessionError)

	watchOf := func(device string) *goqSel {
		doc := document(t, s.assist(t, c, "/devices/"+device+"/assistance", nil))
		request := doc.Find("[data-testid=request]")
		if request.AttrOr("hx-get", "") == "" || !strings.Contains(request.AttrOr("hx-trigger", ""), "delay") {
			t.Fatalf("the 204 outcome does not keep watching: %s", doc.Text())
		}
		return document(t, get(t, c, s.portal.URL+request.AttrOr("hx-get", ""), "HX-Request", "true")).Find("[data-testid=request]")
	}
	ready := watchOf(ok.ID)
	if link := ready.Find("[data-testid=session-link]"); ready.AttrOr("data-phase", "") != "ready" || !strings.HasPrefix(link.AttrOr("href", ""), "https://") {
		t.Fatalf("no session link once Graph has one: %q", link.AttrOr("href", ""))
	}
	failed := watchOf(broken.ID)
	if failed.Find("[data-testid=session-error]").Text() == "" || failed.AttrOr("hx-get", "") != "" {
		t.Fatalf("a session error is not shown as final: %s", failed.Text())
	}
	// What the device showed is in the audit trail: the device's page,
	// opened later, shows it without asking Graph.
	page := document(t, get(t, c, s.portal.URL+"/devices/"+broken.ID)).Find("[data-testid=request]")
	if page.AttrOr("data-phase", "") != "sessionFailed" || page.Find("[data-testid=session-error]").Text() == "" {
		t.Fatalf("the device page, opened afterwards, shows %q: %s", page.AttrOr("data-phase", ""), page.Text())
	}

	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	// A colleague follows the request too, but the session is the
	// requester's to open.
	var readyID string
	for _, a := range s.attempts(t) {
		if a.DeviceID == ok.ID {
			readyID = a.ID
		}
	}
	resp := get(t, lee, s.portal.URL+"/assistance/"+readyID, "HX-Request", "true")
	seen := document(t, resp).Find("[data-testid=request]")
	if resp.StatusCode != http.StatusOK || seen.AttrOr("data-phase", "") != "ready" || seen.Find("[data-testid=session-link]").Length() != 0 ||
		!strings.Contains(seen.Text(), "Only Harper Helpdesk can open") {
		t.Fatalf("another technician's request: status %d, %s", resp.StatusCode, seen.Text())
	}
	if resp := get(t, lee, s.portal.URL+"/assistance/00000000-0000-4000-8000-000000000000", "HX-Request", "true"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown attempt: status %d, want 404", resp.StatusCode)
	}
}

func TestConnectorStateAndUnsupportedDevicesAreFlaggedBeforeARequest(t *testing.T) {
	s := newStack(t)
	if err := s.sim.SetPartnerStatus("notOnboarded"); err != nil {
		t.Fatal(err)
	}
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	doc := document(t, get(t, c, s.portal.URL+"/users/"+adele.ID))
	if !strings.Contains(doc.Find("[data-testid=connector-warning]").Text(), "not onboarded") {
		t.Fatal("the user page does not warn that the TeamViewer connector is not onboarded")
	}
	calls := len(s.graphCalls("GET", "/beta/deviceManagement/remoteAssistancePartners"))
	get(t, c, s.portal.URL+"/users/"+adele.ID)
	if again := len(s.graphCalls("GET", "/beta/deviceManagement/remoteAssistancePartners")); again != calls {
		t.Errorf("the connector was read again on the next page (%d calls)", again)
	}

	var corporate graphsim.ManagedDevice
	for _, d := range s.sim.Tenant().Devices {
		if d.DeviceEnrollmentType == "androidEnterpriseFullyManaged" || d.DeviceEnrollmentType == "androidEnterpriseCorporateWorkProfile" {
			corporate = d
			break
		}
	}
	if corporate.ID == "" {
		t.Fatal("the demo tenant has no Android Enterprise corporate-owned device")
	}
	// With the connector not onboarded, no device has the primary button.
	if n := doc.Find("button[data-testid=assist]").Length(); n != 0 || doc.Find("[data-blocked=connector]").Length() == 0 {
		t.Fatalf("%d primary buttons while the connector is not onboarded", n)
	}
	// Once it is (Lee has not seen it otherwise), the device that still
	// cannot take remote assistance is the Android Enterprise one.
	if err := s.sim.SetPartnerStatus("onboarded"); err != nil {
		t.Fatal(err)
	}
	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	page := document(t, get(t, lee, s.portal.URL+"/devices/"+corporate.ID))
	if page.Find("[data-blocked=androidCorporate]").Length() != 1 || page.Find("button[data-testid=assist]").Length() != 0 ||
		page.Find("button[data-testid=try-anyway]").Length() != 1 {
		t.Fatalf("an Android Enterprise corporate-owned device has the primary button, or no Try anyway: %s", page.Find("[data-testid=assist-block]").Text())
	}
}

// A rendered page is whole in memory before it is sent, so it says its
// length instead of arriving in chunks; gzipped for a browser that asks,
// and still whole.
func TestRenderedPagesCarryContentLengthAndAreGzippedWhenAsked(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	page := s.portal.URL + "/users/" + url.PathEscape(graphsim.DemoAdeleUPN)
	// An explicit Accept-Encoding keeps Go's client from unzipping quietly.
	plain := get(t, c, page, "Accept-Encoding", "identity")
	html := body(t, plain)
	if plain.ContentLength != int64(len(html)) || len(plain.TransferEncoding) != 0 || plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Content-Length %d, Transfer-Encoding %v, Content-Encoding %q, for a page of %d bytes",
			plain.ContentLength, plain.TransferEncoding, plain.Header.Get("Content-Encoding"), len(html))
	}
	zipped := get(t, c, page, "Accept-Encoding", "gzip, deflate, br, zstd")
	raw := body(t, zipped)
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.ContentLength != int64(len(raw)) {
		t.Fatalf("asked for gzip: Content-Encoding %q, Content-Length %d for %d bytes",
			zipped.Header.Get("Content-Encoding"), zipped.ContentLength, len(raw))
	}
	r, err := gzip.NewReader(bytes.NewReader([]byte(raw)))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(r)
	if err != nil || !strings.Contains(string(unzipped), "Adele Vance") || len(raw) > len(html)/2 {
		t.Fatalf("the gzipped page (%d bytes of %d) does not unzip to the page: %v", len(raw), len(html), err)
	}
	if vary := strings.Join(zipped.Header.Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") {
		t.Errorf("Vary %q", vary)
	}
}

// Static files are the same for everyone: no session is read for them,
// and their answer does not vary by Cookie.
func TestStaticFilesDoNotVaryByCookie(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	doc := document(t, get(t, c, s.portal.URL+"/"))
	for _, src := range []string{doc.Find("link[rel=stylesheet]").AttrOr("href", ""), doc.Find("script[src]").First().AttrOr("src", "")} {
		resp := get(t, c, s.portal.URL+src)
		resp.Body.Close()
		if vary := strings.Join(resp.Header.Values("Vary"), ","); strings.Contains(vary, "Cookie") || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: Vary %q, Set-Cookie %q", src, vary, resp.Header.Get("Set-Cookie"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", src, cc)
		}
	}
}

// supported is the n-th device of the tenant on which a remote session can
// start: one with a user, and not an Android Enterprise corporate-owned one.
func supported(t *testing.T, tenant *graphsim.Tenant, n int) graphsim.ManagedDevice {
	t.Helper()
	for _, d := range tenant.Devices {
		if d.UserID != "" && !strings.HasPrefix(d.DeviceEnrollmentType, "androidEnterprise") {
			if n == 0 {
				return d
			}
			n--
		}
	}
	t.Fatal("the tenant has too few devices that can take remote assistance")
	return graphsim.ManagedDevice{}
}

// Search text from a ticket link or a paste: a line break or a tab
// between the words is a space; text Graph is not sent (a control
// character, more than 256 characters) is refused on the search page
// itself, the text kept in the box, the reason beside it.
func TestSearchTextIsCleanedOrRefusedInPlace(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	pasted := document(t, get(t, c, s.portal.URL+"/search?q="+url.QueryEscape("Adele\r\n\tVance")))
	if got := pasted.Find("[data-testid=search-input]").AttrOr("value", ""); got != "Adele Vance" {
		t.Errorf("a name pasted across lines is searched as %q", got)
	}
	if !strings.Contains(pasted.Find("[data-testid=results]").Text(), graphsim.DemoAdeleUPN) {
		t.Errorf("a name pasted across lines finds nobody: %s", pasted.Find("[data-testid=results]").Text())
	}
	before := len(s.sim.Requests())
	long := strings.Repeat("a", 300)
	for name, q := range map[string]string{"a NUL": "ad\x00ele", "300 characters": long} {
		for _, fragment := range []bool{false, true} {
			var resp *http.Response
			if fragment {
				resp = get(t, c, s.portal.URL+"/search?q="+url.QueryEscape(q), "HX-Request", "true")
			} else {
				resp = get(t, c, s.portal.URL+"/search?q="+url.QueryEscape(q))
			}
			doc := document(t, resp)
			problem := doc.Find("[data-testid=search-problem]").Text()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(problem, "256") {
				t.Errorf("%s (fragment %v): status %d, problem %q", name, fragment, resp.StatusCode, problem)
			}
			if box := doc.Find("[data-testid=search-input]"); !fragment && box.AttrOr("value", "") != map[string]string{"a NUL": "adele", "300 characters": long[:256]}[name] {
				t.Errorf("%s: the box holds %q", name, box.AttrOr("value", ""))
			}
		}
	}
	if after := len(s.sim.Requests()); after != before {
		t.Errorf("refused search text reached Graph: %d calls", after-before)
	}
}

// A page Graph could not be read for is headed by what happened: Graph
// refusing the technician is theirs to take up (403, no "Try again"),
// Graph not answering in time is worth another try (504), Graph throttling
// says when (503 with Retry-After).
func TestAFailedReadIsHeadedByWhatHappened(t *testing.T) {
	s := newStackWith(t, stackOptions{graphTimeout: 300 * time.Millisecond})
	c := s.signedIn(t)
	refused, hanging := s.sim.Tenant().Devices[40], s.sim.Tenant().Devices[41]
	s.sim.SetDeviceFault(refused.ID, graphsim.Forbidden)
	s.sim.SetDeviceFault(hanging.ID, graphsim.Hang)
	for _, tt := range []struct {
		device        graphsim.ManagedDevice
		status        int
		heading, says string
		retry         bool
	}{
		{refused, http.StatusForbidden, "Not allowed", "Intune role", false},
		{hanging, http.StatusGatewayTimeout, "Microsoft Graph did not answer in time", "did not answer in time", true},
	} {
		resp := get(t, c, s.portal.URL+"/devices/"+tt.device.ID)
		doc := document(t, resp)
		heading, detail := doc.Find("h1").Text(), doc.Find("[data-testid=problem-detail]").Text()
		if resp.StatusCode != tt.status || heading != tt.heading || !strings.Contains(detail, tt.says) {
			t.Errorf("%s: status %d, %q: %q", tt.heading, resp.StatusCode, heading, detail)
		}
		if retry := doc.Find("[data-testid=try-again]").Length() > 0; retry != tt.retry {
			t.Errorf("%s: Try again offered: %v", tt.heading, retry)
		}
	}
	// Graph throttling the read is the portal unavailable for a while, and
	// says for how long.
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/beta/deviceManagement/managedDevices/") {
			return false
		}
		w.Header().Set("Retry-After", "9")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"x"}}`)
		return true
	})
	throttled := get(t, c, s.portal.URL+"/devices/"+s.sim.Tenant().Devices[42].ID)
	if doc := document(t, throttled); throttled.StatusCode != http.StatusServiceUnavailable || throttled.Header.Get("Retry-After") != "9" ||
		doc.Find("h1").Text() != "Temporarily unavailable" || doc.Find("[data-testid=try-again]").Length() == 0 {
		t.Errorf("a throttled read: status %d, Retry-After %q, %q", throttled.StatusCode, throttled.Header.Get("Retry-After"), doc.Find("h1").Text())
	}
	// So is a user page whose devices Graph refuses to list: the person
	// and the reason, and no Try again.
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/managedDevices") {
			return false
		}
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"code":"Forbidden","message":"x"}}`)
		return true
	})
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	page := document(t, get(t, c, s.portal.URL+"/users/"+adele.ID+"?fresh=1"))
	if notice := page.Find("[data-testid=devices-problem]"); !strings.Contains(notice.Text(), "Intune role") || notice.Find("[data-testid=retry-read]").Length() != 0 {
		t.Errorf("devices Graph refused to list: %q, Try again offered: %d", notice.Text(), notice.Find("[data-testid=retry-read]").Length())
	}
}

// A failed search says which service failed: the directory answers for
// people, not Intune.
func TestAFailedSearchNamesTheDirectory(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/v1.0/users") {
			return false
		}
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	problem := document(t, get(t, c, s.portal.URL+"/search?q=adele", "HX-Request", "true")).Find("[data-testid=search-problem]").Text()
	if !strings.Contains(problem, "The directory (Microsoft Entra ID) is temporarily unavailable. Try again in 5\u00a0s.") || strings.Contains(problem, "Intune") {
		t.Fatalf("a failed search says %q", problem)
	}
}

// A malformed ticket reference in a link does not block the page: the page
// warns that it is not recorded, and its request forms carry none.
func TestAMalformedTicketWarnsInsteadOfBlocking(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	resp := get(t, c, s.portal.URL+"/users/"+adele.ID+"?ticket="+url.QueryEscape("INC 1; DROP"))
	doc := document(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(doc.Find("[data-testid=ticket-invalid]").Text(), "INC 1; DROP") {
		t.Fatalf("status %d, warning %q", resp.StatusCode, doc.Find("[data-testid=ticket-invalid]").Text())
	}
	if doc.Find("[data-testid=ticket]").Length() != 0 {
		t.Error("the malformed reference is shown as the page's ticket")
	}
	// A reference of bytes that are not UTF-8 at all still gets the
	// warning (it used to vanish, page and warning both silent).
	binary := document(t, get(t, c, s.portal.URL+"/users/"+adele.ID+"?ticket=%ff%fe"))
	if warning := binary.Find("[data-testid=ticket-invalid]").Text(); !strings.Contains(warning, "“\uFFFD”") {
		t.Errorf("a ticket reference that is not UTF-8: warning %q", warning)
	}
	doc.Find("form.assist-form").Each(func(_ int, f *goqSel) {
		if strings.Contains(f.AttrOr("action", ""), "ticket") {
			t.Errorf("a request form carries the malformed ticket: %s", f.AttrOr("action", ""))
		}
	})
	// A request that carries one itself is refused, with nothing sent.
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	path := "/users/" + adele.ID + "/devices/" + device.ID + "/assistance"
	if resp := signintest.Post(t, c, s.portal.URL, path+"?ticket=bad%20ref", s.assistForm(t, c, path)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a request with a malformed ticket: status %d", resp.StatusCode)
	}
	if n := len(s.sim.Actions()); n != 0 {
		t.Fatalf("%d actions", n)
	}
}

// A person who is not found is searched for instead, keeping the ticket.
func TestAMissingUserOffersASearch(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	resp := get(t, c, s.portal.URL+"/users/"+url.PathEscape("adele.vanse@contoso.example")+"?ticket=INC-4")
	doc := document(t, resp)
	search := doc.Find("[data-testid=problem-search]")
	if resp.StatusCode != http.StatusNotFound || search.Find("input[name=q]").AttrOr("value", "") != "adele.vanse" ||
		search.Find("input[name=ticket]").AttrOr("value", "") != "INC-4" || doc.Find("h1").Text() != "Not found" {
		t.Fatalf("status %d, heading %q, search %q", resp.StatusCode, doc.Find("h1").Text(), search.Text())
	}
}

// Times are written in the technician's zone, from the cookie app.js
// sets; anything that is not a zone name leaves them in UTC.
func TestTimesAreInTheTechniciansZone(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[0]
	page := s.portal.URL + "/devices/" + device.ID
	u, _ := url.Parse(s.portal.URL)
	shown := func(zone string) string {
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "assistdesk_tz", Value: zone, Path: "/"}})
		return document(t, get(t, c, page)).Find("[data-testid=last-sync] time").Text()
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	want := device.LastSyncDateTime.In(berlin).Format("2006-01-02 15:04:05 MST")
	if got := shown("Europe/Berlin"); got != want {
		t.Errorf("in Berlin the last check-in shows %q, want %q", got, want)
	}
	for _, bogus := range []string{"../../etc/passwd", "Mars/Olympus", "Local"} {
		if got := shown(bogus); !strings.HasSuffix(got, " UTC") {
			t.Errorf("with the zone %q the time shows %q, want UTC", bogus, got)
		}
	}
}

// Two people with one name are told apart by what the basic profile gives:
// the UPN, marked; a guest is marked with the home domain.
func TestSearchTellsPeopleApart(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	hits := document(t, get(t, c, s.portal.URL+"/search?q="+url.QueryEscape("James Miller"))).Find("[data-testid=user-hit]")
	if hits.Length() != 2 {
		t.Fatalf("%d hits for James Miller, the demo tenant has two", hits.Length())
	}
	upns := map[string]bool{}
	hits.Each(func(_ int, h *goqSel) {
		if h.Find("[data-testid=same-name]").Length() != 1 || !h.Find(".upn").HasClass("distinct") {
			t.Errorf("a James Miller is not marked as sharing the name: %s", h.Text())
		}
		upns[h.Find(".upn").Text()] = true
	})
	if len(upns) != 2 {
		t.Errorf("the two hits show UPNs %v", upns)
	}
	guest := document(t, get(t, c, s.portal.URL+"/search?q="+url.QueryEscape(graphsim.DemoGuestUPN))).Find("[data-testid=user-hit] [data-testid=guest]")
	if !strings.HasPrefix(guest.Text(), "Guest from ") {
		t.Errorf("the guest is marked %q", guest.Text())
	}
}

// Without JavaScript nothing refreshes a request: its own page does what
// the fragment's polling does, reading the device, and links to itself to
// look again; the session link is there once the device shows one.
func TestARequestHasAPageOfItsOwnForBrowsersWithoutJavaScript(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	s.sim.SetSessionDelay(0)
	d := supported(t, s.sim.Tenant(), 3)
	form := s.assistForm(t, c, "/devices/"+d.ID+"/assistance")
	req, _ := http.NewRequest(http.MethodPost, s.portal.URL+"/devices/"+d.ID+"/assistance", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/devices/"+d.ID+"#assist-"+d.ID {
		t.Fatalf("the plain form's answer: %d to %q", resp.StatusCode, loc)
	}
	page := noscript(t, get(t, c, s.portal.URL+"/devices/"+d.ID))
	look := page.Find("[data-testid=request] [data-testid=look-again]").AttrOr("href", "")
	if !strings.HasPrefix(look, "/assistance/") {
		t.Fatalf("the device's page offers no way to look again without JavaScript: %q", look)
	}
	own := noscript(t, get(t, c, s.portal.URL+look))
	if got := own.Find("h1").Text(); !strings.Contains(got, d.DeviceName) {
		t.Errorf("the request's page is headed %q", got)
	}
	if back := own.Find(".crumbs a").AttrOr("href", ""); back != "/devices/"+d.ID {
		t.Errorf("the request's page leads back to %q", back)
	}
	if link := own.Find("[data-testid=session-link]").AttrOr("href", ""); !strings.HasPrefix(link, "https://") {
		t.Errorf("the request's page shows no session link once the device has one: %s", own.Find("[data-testid=request]").Text())
	}
}

// A search the technician's typing has superseded is cancelled end to end:
// htmx aborts it (the search form syncs with hx-sync="this:replace") and
// the portal, seeing the browser go, gives up its Graph calls rather than
// spend Intune's reads on an answer nobody will see.
func TestASupersededSearchGivesUpItsGraphCalls(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	form := document(t, get(t, c, s.portal.URL+"/")).Find("form[hx-get='/search']")
	if form.AttrOr("hx-sync", "") != "this:replace" {
		t.Fatalf("the search form does not replace a search in flight: hx-sync %q", form.AttrOr("hx-sync", ""))
	}
	if err := s.sim.SetLatency(3*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.portal.URL+"/search?q=adel", nil)
	req.Header.Set("HX-Request", "true")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the search answered within 300 ms of a 3 s Graph")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		calls, gaveUp := 0, 0
		for _, r := range s.sim.Requests() {
			if strings.Contains(r.RawQuery, "adel") {
				calls++
				if r.Fault == "latency" {
					gaveUp++
				}
			}
		}
		if calls > 0 && gaveUp == calls {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the search's %d Graph calls given up within 2 s of the browser going", gaveUp, calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
