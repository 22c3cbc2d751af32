package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// The browser's Accept-Language chooses the language until the technician
// chooses one in the header; that choice outlives signing out and in, so
// a ticket's link opened later is in it too.
func TestTheLanguageFollowsTheBrowserUntilChosen(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	lang := func(resp *http.Response) (string, string) {
		doc := document(t, resp)
		return doc.Find("html").AttrOr("lang", ""), doc.Find("h1").First().Text()
	}
	if code, h1 := lang(get(t, c, s.portal.URL+"/login", "Accept-Language", "de-CH, en;q=0.5")); code != "de" || h1 != "Anmelden" {
		t.Fatalf("Accept-Language de-CH: lang=%q, heading %q", code, h1)
	}
	if code, _ := lang(get(t, c, s.portal.URL+"/login", "Accept-Language", "fr-FR")); code != "en" {
		t.Fatalf("Accept-Language fr-FR: lang=%q, want the default en", code)
	}
	resp := get(t, c, s.portal.URL+"/login?return_to=%2Fscripts", "Accept-Language", "de-DE")
	if vary := strings.Join(resp.Header.Values("Vary"), ","); !strings.Contains(vary, "Accept-Language") {
		t.Errorf("a page written for the browser's language does not vary by it: Vary %q", vary)
	}
	// The switch on the German sign-in page leads to English and on to the
	// page being signed in for (which, signed out, is this page again).
	doc := document(t, resp)
	toEnglish := doc.Find("[data-testid=language-en]").AttrOr("href", "")
	if toEnglish == "" || doc.Find("[data-testid=languages] [aria-current]").Text() != "Deutsch" {
		t.Fatalf("the header offers no switch to English, or does not mark German as current: %q", toEnglish)
	}
	switched := get(t, c, s.portal.URL+toEnglish, "Accept-Language", "de-DE")
	if switched.StatusCode != http.StatusSeeOther || switched.Header.Get("Location") != "/scripts" {
		t.Fatalf("the switch answered %d to %q, want 303 to /scripts", switched.StatusCode, switched.Header.Get("Location"))
	}
	if again := get(t, c, s.portal.URL+"/scripts"); again.Header.Get("Location") != "/login?return_to=%2Fscripts" {
		t.Fatalf("signed out, /scripts leads to %q", again.Header.Get("Location"))
	}
	if code, h1 := lang(get(t, c, s.portal.URL+"/login", "Accept-Language", "de-DE")); code != "en" || h1 != "Sign in" {
		t.Fatalf("after choosing English a German browser sees lang=%q, %q", code, h1)
	}

	// Chosen German, signed in through a ticket's link: German.
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	ticketLink := "/users/" + adele.ID + "?ticket=INC-7"
	get(t, c, s.portal.URL+"/language?to=de&return_to="+url.QueryEscape(ticketLink))
	s.signIn(t, c, ticketLink, "harper")
	page := document(t, get(t, c, s.portal.URL+ticketLink, "Accept-Language", "en-US"))
	if page.Find("html").AttrOr("lang", "") != "de" || !strings.Contains(page.Find("main").Text(), "Verwaltete Geräte") {
		t.Fatalf("the ticket's page after sign-in is not in the chosen German: %.200s", page.Find("main").Text())
	}
	if got := page.Find("[data-testid=ticket]").Text(); got != "Ticket INC-7" {
		t.Errorf("the ticket did not survive: %q", got)
	}
}

func TestTheLanguageSwitchRefusesWhatItCannotDo(t *testing.T) {
	s := newStack(t)
	c := browser(t)
	resp := get(t, c, s.portal.URL+"/language?to=klingon", "Accept-Language", "de-DE")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown language: status %d, want 400", resp.StatusCode)
	}
	if text := document(t, resp).Find("[data-testid=problem-detail]").Text(); !strings.Contains(text, "Deutsch (de)") {
		t.Errorf("the refusal does not name the languages there are, in German: %q", text)
	}
	for _, away := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		resp := get(t, c, s.portal.URL+"/language?to=de&return_to="+url.QueryEscape(away))
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("return_to %q: %d to %q, want 303 to /", away, resp.StatusCode, loc)
		}
	}
	for _, ck := range c.Jar.Cookies(mustParse(t, s.portal.URL)) {
		if ck.Name == "assistdesk_lang" && ck.Value != "de" {
			t.Errorf("the language cookie holds %q", ck.Value)
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
