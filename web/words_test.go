package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// shown is one answer of the portal as a technician or an auditor meets
// it, named for the state it shows.
type shown struct {
	state string
	doc   *goquery.Document
}

// everyState drives a fresh portal through its pages and states in the
// language with code lang, as the header's switch chooses it, and returns
// every HTML answer: signed out and each role; search, user, device,
// script, run and app pages; each outcome of a request (live ones while
// they are live), the duplicate and its dialog; the audit trail; error
// pages and the problems htmx shows in place.
func everyState(t *testing.T, lang string) (*stack, []shown) {
	t.Helper()
	// The read cache's clock runs 15 s behind: pages it answers say how old
	// what they show is.
	s := newStackWith(t, stackOptions{maxWait: 1500 * time.Millisecond, graphTimeout: time.Second,
		readCacheClock: func() time.Time { return time.Now().Add(-15 * time.Second) }})
	s.sim.SetSessionDelay(0)
	var mu sync.Mutex
	var out []shown
	keep := func(state string, resp *http.Response) *goquery.Document {
		t.Helper()
		doc := noscript(t, resp)
		mu.Lock()
		out = append(out, shown{state, doc})
		mu.Unlock()
		return doc
	}
	u, _ := url.Parse(s.portal.URL)
	person := func() *http.Client {
		c := browser(t)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "assistdesk_lang", Value: lang, Path: "/"}})
		return c
	}
	at := func(c *http.Client, path string, header ...string) *http.Response {
		return get(t, c, s.portal.URL+path, header...)
	}

	// Signed out.
	out0 := person()
	keep("sign-in", at(out0, "/login?return_to=%2Fusers%2Fadele"))
	keep("sign-in after an action that was not done", at(out0, "/login?not_done=1&return_to=%2Fusers%2Fadele"))
	keep("unknown language", at(out0, "/language?to=xx"))
	keep("sign-in link gone stale", at(out0, "/auth/callback?state=nonsense&code=nonsense"))
	keep("provider refused", at(out0, "/auth/callback?error=access_denied&error_description=AADSTS50105"))
	sam := person()
	keep("not authorised at all", s.signIn(t, sam, "/", "sam"))
	avery := person()
	s.signIn(t, avery, "/audit", "avery")
	keep("an auditor on the search", at(avery, "/"))

	c := person()
	s.signIn(t, c, "/", "harper")
	tenant := s.sim.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	keep("search", at(c, "/?ticket=INC-1"))
	keep("search results", at(c, "/search?q=adele"))
	keep("search results as htmx asks", at(c, "/search?q=adele", "HX-Request", "true"))
	keep("search for a device", at(c, "/search?q=adele-lt"))
	keep("search without results", at(c, "/search?q=nobody-is-called-this"))
	keep("search too long", at(c, "/search?q="+strings.Repeat("x", 300)))
	keep("user", at(c, "/users/"+adele.ID+"?ticket=INC-1"))
	keep("user, from the cache", at(c, "/users/"+adele.ID+"?ticket=INC-1"))
	keep("user with a bad ticket", at(c, "/users/"+adele.ID+"?ticket=not%20a%20ticket"))
	keep("unknown user", at(c, "/users/nobody.here@contoso.example"))
	keep("unknown device", at(c, "/devices/00000000-0000-4000-8000-00000000abcd"))
	keep("no such page", at(c, "/nowhere"))
	keep("a malformed id", at(c, "/devices/not-a-guid"))

	// Graph failing the reads.
	fail := func(prefix string, status int) {
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, prefix) {
				return false
			}
			w.Header().Set("request-id", "3f1c2b4a-0000-4000-8000-000000000001")
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":"serviceNotAvailable","message":"x"}}`)
			return true
		})
	}
	fail("/users", http.StatusServiceUnavailable)
	keep("search while the directory is down", at(c, "/search?q=zoe"))
	fail("/managedDevices", http.StatusTooManyRequests)
	keep("user while Intune throttles", at(c, "/users/"+adele.ID+"?fresh=1"))
	fail("/deviceManagement/deviceManagementScripts", http.StatusBadGateway)
	keep("scripts while Graph fails", at(c, "/scripts?fresh=1"))
	s.failGraph(nil)

	// Scripts, a run, the devices with one of its apps.
	keep("scripts", at(c, "/scripts"))
	script := tenant.Scripts[0]
	keep("script", at(c, "/scripts/"+script.ID))
	keep("script, failed runs", at(c, "/scripts/"+script.ID+"?state=failed"))
	keep("script, a bad state", at(c, "/scripts/"+script.ID+"?state=bogus"))
	var run graphsim.RunState
	for _, r := range tenant.RunStates[script.ID] {
		if r.DeviceID != "" && len(tenant.DeviceApps[r.DeviceID]) > 0 {
			run = r
			break
		}
	}
	runPage := keep("script run", at(c, "/scripts/"+script.ID+"/runs/"+run.ID))
	if app := runPage.Find("[data-testid=app] a").First().AttrOr("href", ""); app != "" {
		keep("devices with an app", at(c, app))
	} else {
		t.Error("the run page lists no app to follow")
	}

	// Requests for assistance, each outcome: answered at once...
	device := func(n int) graphsim.ManagedDevice { return supported(t, tenant, n) }
	request := func(state string, d graphsim.ManagedDevice) *goquery.Document {
		return keep(state, s.assist(t, c, "/devices/"+d.ID+"/assistance", nil))
	}
	ok := device(0)
	accepted := request("accepted", ok)
	keep("ready", at(c, accepted.Find("[data-testid=request]").AttrOr("hx-get", ""), "HX-Request", "true"))
	request("duplicate, with its dialog", ok)
	keep("device with a request", at(c, "/devices/"+ok.ID+"?ticket=INC-1"))
	fail(ok.ID, http.StatusServiceUnavailable)
	keep("device with a request, unread", at(c, "/devices/"+ok.ID+"?fresh=1"))
	s.failGraph(nil)
	broken := device(1)
	s.sim.SetDeviceFault(broken.ID, graphsim.SessionError)
	failed := request("accepted, then", broken)
	keep("session failed", at(c, failed.Find("[data-testid=request]").AttrOr("hx-get", ""), "HX-Request", "true"))
	for i, status := range []int{401, 403, 404, 400, 500, 503, 418} {
		status := status
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost {
				return false
			}
			w.Header().Set("request-id", "3f1c2b4a-0000-4000-8000-000000000002")
			w.Header().Set("client-request-id", "3f1c2b4a-0000-4000-8000-000000000003")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":"accessDenied","message":"x"}}`)
			return true
		})
		request(fmt.Sprintf("Graph answers %d", status), device(2+i))
	}
	s.failGraph(nil)

	// ...and live: while the device does not answer, while Graph
	// throttles, while the write budget is spent; each request is looked
	// at (as its page polls it) while it waits, and when it has ended.
	live := func(state string, s *stack, c *http.Client, d graphsim.ManagedDevice, phase string, fault func()) {
		t.Helper()
		at := func(c *http.Client, path string, header ...string) *http.Response {
			return get(t, c, s.portal.URL+path, header...)
		}
		path := "/devices/" + d.ID + "/assistance"
		form := s.assistForm(t, c, path)
		req, _ := http.NewRequest(http.MethodPost, s.portal.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", s.csrfToken(t, c))
		if fault != nil {
			fault()
		}
		done := make(chan error, 1)
		go func() {
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		var watch string
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, a := range s.attempts(t) {
				if strings.EqualFold(a.DeviceID, d.ID) {
					watch = "/assistance/" + a.ID
					break
				}
			}
			if watch == "" {
				continue
			}
			doc := noscript(t, at(c, watch, "HX-Request", "true"))
			if doc.Find("[data-testid=request][data-phase="+phase+"]").Length() > 0 {
				mu.Lock()
				out = append(out, shown{state, doc})
				mu.Unlock()
				break
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if watch == "" {
			t.Fatalf("%s: no attempt was recorded", state)
		}
		for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp := at(c, watch, "HX-Request", "true")
			if doc := noscript(t, resp); doc.Find("[data-live]").Length() == 0 {
				mu.Lock()
				out = append(out, shown{state + ", at its end", doc})
				mu.Unlock()
				return
			}
		}
		t.Errorf("%s: still under way after 6 s", state)
	}
	hanging := device(10)
	live("sending to a device that hangs", s, c, hanging, "sending", func() {
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, hanging.ID) {
				return false
			}
			time.Sleep(2 * time.Second) // past the portal's Graph timeout
			return true
		})
	})
	throttled := device(11)
	var throttledOnce sync.Once
	live("retrying while Graph throttles", s, c, throttled, "retrying", func() {
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			hit := false
			if r.Method == http.MethodPost && strings.Contains(r.URL.Path, throttled.ID) {
				throttledOnce.Do(func() { hit = true })
			}
			if hit {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			}
			return hit
		})
	})
	s.failGraph(nil)
	live("throttled to the end", s, c, device(12), "retrying", func() {
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost {
				return false
			}
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		})
	})
	s.failGraph(nil)
	// The shared write budget, on a portal whose budget is one request in
	// 3 s (4 s with the second of transit the budget allows for): a second
	// request at once would wait longer than the 2 s a request may, and is
	// refused; 2.5 s later, one waits in the queue.
	spent := newStackWith(t, stackOptions{writeBudget: 1, budgetWindow: 3 * time.Second, maxWait: 2 * time.Second})
	spender := person()
	signintest.SignIn(t, spender, spent.portal.URL, "/", "harper")
	first := time.Now()
	for n, state := range []string{"the budget's one request", "the budget spent"} {
		keep(state, spent.assist(t, spender, "/devices/"+device(40+n).ID+"/assistance", nil))
	}
	time.Sleep(time.Until(first.Add(2500 * time.Millisecond)))
	live("queued for the write budget", spent, spender, device(42), "queued", nil)

	// A colleague asking again and again for a device meets the rate limit.
	lee := person()
	s.signIn(t, lee, "/", "lee")
	for i := 0; ; i++ {
		resp := s.assist(t, lee, "/devices/"+ok.ID+"/assistance", nil)
		if doc := noscript(t, resp); doc.Find("[data-testid=problem]").Length() > 0 {
			mu.Lock()
			out = append(out, shown{"too many requests", doc})
			mu.Unlock()
			break
		}
		if i > 40 {
			t.Fatal("40 requests within the minute met no rate limit")
		}
	}
	keep("a request from another site", post(t, c, s.portal.URL+"/devices/"+ok.ID+"/assistance"))
	keep("search, with recent requests", at(c, "/"))

	// The auditor's trail, with every outcome above.
	keep("audit trail", at(lee, "/audit"))
	keep("audit trail, filtered to nothing", at(lee, "/audit?user=nobody&outcome=failed"))
	keep("audit trail, a bad date", at(lee, "/audit?from=yesterday"))
	keep("a request seen by a colleague", at(lee, "/devices/"+ok.ID))
	return s, out
}

// noscript parses a page as a browser without JavaScript does, so that
// what <noscript> holds is read too.
func noscript(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	defer resp.Body.Close()
	root, err := html.ParseWithOptions(resp.Body, html.ParseOptionEnableScripting(false))
	if err != nil {
		t.Fatal(err)
	}
	return goquery.NewDocumentFromNode(root)
}

// phrases are what people read or hear on a page: its text, and the
// attributes a browser shows or says (titles, labels, placeholders) or
// that app.js writes into the page (a button's busy label, copy texts).
func phrases(doc *goquery.Document) []string {
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if s := strings.TrimSpace(n.Data); s != "" {
				out = append(out, s)
			}
		case html.ElementNode:
			// Graph's own sentences are marked translate="no": data.
			if n.Data == "script" || n.Data == "style" || attrOf(n, "translate") == "no" {
				return
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "aria-label", "placeholder", "alt", "data-idle", "data-busy", "data-copy-text",
					"data-copied", "data-seconds", "data-minutes", "data-minutes-seconds":
					out = append(out, a.Val)
				case "value":
					if t := attrOf(n, "type"); t == "submit" || t == "button" {
						out = append(out, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}
	return out
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var (
	wrapped = regexp.MustCompile(`⟦[^⟦⟧]*⟧`)
	// Data that is no word: addresses, ids, Graph's dates.
	notWords = regexp.MustCompile(`https?://\S+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|` +
		`\b[0-9a-fA-F]{16,}\b|\b[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b`)
	words = regexp.MustCompile(`\p{L}{2,}`)
)

// dataWords are the words a page may show that are no message: those of
// the tenant's users, devices, scripts and apps, of the people who sign
// in, and of what Graph answers; the brand and the languages' own names.
func dataWords(tenant *graphsim.Tenant) map[string]bool {
	out := map[string]bool{"assistdesk": true, "assist": true, "desk": true, "UTC": true, "INC": true,
		"serviceNotAvailable": true, "accessDenied": true}
	for _, l := range i18n.Offered {
		out[l.Name] = true
	}
	var add func(v reflect.Value)
	add = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			for _, w := range words.FindAllString(v.String(), -1) {
				out[w] = true
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					add(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				add(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				add(v.MapIndex(k))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				add(v.Elem())
			}
		}
	}
	add(reflect.ValueOf(tenant))
	add(reflect.ValueOf(devidp.DemoPeople()))
	return out
}

// Every word on every page comes from the catalogue: rendered in the
// pseudo-language, which wraps each message in ⟦ ⟧, what is left outside
// the brackets is data (names, ids, times) or a word that bypassed it.
// The same pages' headings go down one level at a time.
func TestEveryWordOnEveryPageComesFromTheCatalogue(t *testing.T) {
	s, pages := everyState(t, i18n.Pseudo.Code())
	for _, p := range pages {
		if p.doc.Find("main").Length() == 0 {
			continue // a fragment: its headings go under the page's
		}
		if skip := headingSkip(p.doc); skip != "" {
			t.Errorf("%s: headings skip a level: %s", p.state, skip)
		}
	}
	allowed := dataWords(s.sim.Tenant())
	if len(pages) < 50 {
		t.Fatalf("only %d states were rendered", len(pages))
	}
	phases := map[string]bool{}
	for _, p := range pages {
		p.doc.Find("[data-phase]").Each(func(_ int, s *goquery.Selection) { phases[s.AttrOr("data-phase", "")] = true })
	}
	for _, phase := range []string{"sending", "queued", "retrying", "accepted", "ready", "sessionFailed", "failed", "unknown", "refused"} {
		if !phases[phase] {
			t.Errorf("no state shows a request %s", phase)
		}
	}
	if !slices.ContainsFunc(pages, func(p shown) bool { return p.doc.Find("[data-testid=freshness]").Length() > 0 }) {
		t.Error("no state says how old what it shows is")
	}
	seen := map[string]bool{}
	for _, p := range pages {
		if lang := p.doc.Find("html").AttrOr("lang", "en-XA"); lang != "en-XA" {
			t.Errorf("%s: <html lang=%q>", p.state, lang)
		}
		for _, phrase := range phrases(p.doc) {
			rest := phrase
			for {
				inner := wrapped.ReplaceAllString(rest, " ")
				if inner == rest {
					break
				}
				rest = inner
			}
			rest = notWords.ReplaceAllString(rest, " ")
			for _, w := range words.FindAllString(rest, -1) {
				if !allowed[w] && !seen[p.state+w] {
					seen[p.state+w] = true
					t.Errorf("%s: %q is not from the catalogue (in %q)", p.state, w, phrase)
				}
			}
		}
	}
}

// headingSkip names the first heading that goes down more than one level
// from the one before it (a page starts at h1; a dialog is its own
// outline), "" when none does.
func headingSkip(doc *goquery.Document) string {
	level := 0
	skip := ""
	doc.Find("h1, h2, h3, h4, h5, h6").EachWithBreak(func(_ int, h *goquery.Selection) bool {
		if h.ParentsFiltered("dialog").Length() > 0 {
			return true
		}
		n := int(goquery.NodeName(h)[1] - '0')
		if n > level+1 {
			skip = fmt.Sprintf("h%d %q after h%d", n, strings.TrimSpace(h.Text()), level)
			return false
		}
		level = n
		return true
	})
	return skip
}

// English sentences a German page must not show: each message (or, for
// one with arguments, each run of at least three words between them)
// that German words differently.
func englishLeft(text string) []string {
	var left []string
	german := i18n.German.Formats()
	for key, en := range i18n.English.Formats() {
		if en == german[key] {
			continue
		}
		for _, part := range regexp.MustCompile(`%(\[\d+\])?[a-z]`).Split(en, -1) {
			part = strings.TrimSpace(strings.Trim(part, ".,:;()“”"))
			if len(strings.Fields(part)) >= 3 && strings.Contains(text, part) {
				left = append(left, key+": "+part)
			}
		}
	}
	return left
}

// A German technician meets no English: <html lang="de"> on every page and
// state, and none of the English catalogue's sentences in them.
func TestGermanPagesSayNothingInEnglish(t *testing.T) {
	_, pages := everyState(t, i18n.German.Code())
	for _, p := range pages {
		if lang := p.doc.Find("html").AttrOr("lang", "de"); lang != "de" {
			t.Errorf("%s: <html lang=%q>", p.state, lang)
		}
		text := strings.Join(phrases(p.doc), "\n")
		for _, left := range englishLeft(text) {
			t.Errorf("%s: English left: %s", p.state, left)
		}
	}
}
