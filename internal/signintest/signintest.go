// Package signintest signs a scripted browser into a portal through the
// embedded OpenID provider's picker, over real HTTP, for tests that need a
// signed-in technician without a real browser.
package signintest

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, so each hop can be checked.
func Browser(t testing.TB) *http.Client {
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

// Get fetches rawURL with the given header pairs.
func Get(t testing.TB, c *http.Client, rawURL string, header ...string) *http.Response {
	t.Helper()
	return Send(t, c, http.MethodGet, rawURL, header...)
}

// Send makes a bodiless request with the given header pairs; the body of
// the answer is closed when the test ends.
func Send(t testing.TB, c *http.Client, method, rawURL string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
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

// Document parses an HTML response.
func Document(t testing.TB, resp *http.Response) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Location is a redirect's absolute target.
func Location(t testing.TB, resp *http.Response) string {
	t.Helper()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s %s: status %d, no Location", resp.Request.Method, resp.Request.URL, resp.StatusCode)
	}
	return loc.String()
}

// ToCallback starts sign-in at portal for returnTo, picks person (the local
// part of a demo UPN, e.g. "harper") at the provider, and returns the
// provider's redirect back to the portal's callback, without following it.
func ToCallback(t testing.TB, c *http.Client, portal, returnTo, person string) string {
	t.Helper()
	resp := Get(t, c, portal+"/login?start=1&return_to="+url.QueryEscape(returnTo))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start sign-in: status %d", resp.StatusCode)
	}
	next := Location(t, resp)
	for range 5 { // authorize → picker
		resp = Get(t, c, next)
		if resp.StatusCode == http.StatusOK {
			break
		}
		next = Location(t, resp)
	}
	picker := resp.Request.URL
	form := Document(t, resp).Find("form[action='/picker']")
	button := form.Find("button[data-testid='pick-" + person + "']")
	if button.Length() != 1 {
		t.Fatalf("the picker has no button for %s", person)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		values.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
	post, err := c.PostForm(picker.ResolveReference(&url.URL{Path: "/picker"}).String(), values)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	next = Location(t, post)
	for !strings.HasPrefix(next, portal+"/auth/callback") {
		next = Location(t, Get(t, c, next))
	}
	return next
}

// SignIn completes a sign-in and returns the portal's answer to the
// callback (a redirect to returnTo when it worked).
func SignIn(t testing.TB, c *http.Client, portal, returnTo, person string) *http.Response {
	t.Helper()
	return Get(t, c, ToCallback(t, c, portal, returnTo, person))
}

// CSRFToken reads the anti-forgery token a signed-in page hands to htmx.
func CSRFToken(t testing.TB, c *http.Client, portal string) string {
	t.Helper()
	doc := Document(t, Get(t, c, portal+"/"))
	var headers map[string]string
	if err := json.Unmarshal([]byte(doc.Find("body").AttrOr("hx-headers", "")), &headers); err != nil {
		t.Fatalf("the page carries no hx-headers with a token: %v", err)
	}
	if headers["X-CSRF-Token"] == "" || doc.Find("form[action='/logout'] input[name=csrf_token]").AttrOr("value", "") != headers["X-CSRF-Token"] {
		t.Fatal("the page's htmx header and sign-out form carry different tokens")
	}
	return headers["X-CSRF-Token"]
}

// RequestForm reads, from the portal page at page, the hidden fields of
// the form whose action is action: what a browser sends when the form's
// button is clicked.
func RequestForm(t testing.TB, c *http.Client, portal, page, action string) url.Values {
	t.Helper()
	f := Document(t, Get(t, c, portal+page)).Find(`form[action="` + action + `"]`)
	if f.Length() == 0 {
		t.Fatalf("no form posting to %s on %s", action, page)
	}
	form := url.Values{}
	f.First().Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		form.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return form
}

// Post sends an htmx POST with the page's anti-forgery token and form.
func Post(t testing.TB, c *http.Client, portal, path string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, portal+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", CSRFToken(t, c, portal))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
