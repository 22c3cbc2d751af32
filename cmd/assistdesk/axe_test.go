package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/store"
)

// axeSource is axe-core 4.14.1's axe.min.js as npm publishes it. Tests
// inject it over the DevTools protocol; the portal never serves it.
//
//go:embed testdata/axe-core-4.14.1.min.js
var axeSource string

// axeTags are the rules the portal is held to: WCAG 2.0, 2.1 and 2.2,
// levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeViolation is one axe rule the page breaks, with the elements that
// break it.
type axeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []axeNode `json:"nodes"`
}

// axeNode is one element that breaks a rule: its CSS selector (a path
// through shadow roots or frames is joined with " >>> ") and axe's words
// for what to fix.
type axeNode struct {
	Target         string `json:"target"`
	HTML           string `json:"html"`
	FailureSummary string `json:"failureSummary"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n    %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n  - %s\n      %s", n.Target, n.HTML)
		for _, line := range strings.Split(n.FailureSummary, "\n") {
			fmt.Fprintf(&b, "\n      %s", line)
		}
	}
	return b.String()
}

// axeRun is evaluated in the page once axe is there. Only what the
// report needs comes back, so the result is small plain JSON.
var axeRun = `axe.run(document, ` + mustJSON(map[string]any{
	"runOnly":     map[string]any{"type": "tag", "values": axeTags},
	"resultTypes": []string{"violations"},
}) + `).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)).join(" >>> "),
		html: n.html, failureSummary: n.failureSummary || "",
	})),
})))`

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// axeViolations runs axe-core on the page the browser shows now, in the
// media it emulates now, and returns the violations of the WCAG 2.2 A and
// AA rules. It injects axe first when the page does not have it yet (each
// navigation loses it). Runtime.evaluate is the DevTools console's path:
// the page's Content-Security-Policy (script-src 'self') blocks inline
// scripts but not this, and axe itself needs no eval.
func axeViolations(t *testing.T, ctx context.Context) []axeViolation {
	t.Helper()
	present, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	must(t, err)
	if !present {
		// "void 0" after it: the script's completion value is not sent back.
		_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;void 0"))
		must(t, err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	return vs
}

// axeKnown is a violation that needs a change of markup (a template or
// app.js), tolerated on one page until that change is made.
type axeKnown struct{ page, rule string }

// axeAllowed lists the violations CSS alone cannot fix, each with the
// markup change that fixes it. Remove an entry with the change: the test
// fails on an entry that no longer occurs.
var axeAllowed = map[axeKnown]string{}

// assertAccessible runs axe on the page the browser shows now and fails
// the test with a readable list of every violation that axeAllowed does
// not name for this page. page names the page ("search results"); the
// colour scheme and width in force go into the message. It returns the
// allowed violations it met, so the caller can tell a stale entry.
func assertAccessible(t *testing.T, ctx context.Context, page string) (met []axeKnown) {
	t.Helper()
	var failed []string
	for _, v := range axeViolations(t, ctx) {
		k := axeKnown{page, v.ID}
		if _, ok := axeAllowed[k]; ok {
			met = append(met, k)
			continue
		}
		failed = append(failed, v.String())
	}
	if len(failed) > 0 {
		t.Errorf("%s (%s): %d accessibility violation(s):\n%s", page, mediaState(t, ctx), len(failed), strings.Join(failed, "\n"))
	}
	return met
}

// mediaState says which language, colour scheme, media and width the
// page sees.
func mediaState(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.documentElement.lang + ", " +
		 (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light") + ", " +
		 (matchMedia("print").matches ? "print" : "screen") + ", " + innerWidth + " px"`))
	must(t, err)
	return s
}

// emulateMedia makes CSS see the media type ("print", "screen"; "" is the
// browser's own) and the colour scheme ("dark", "light"; "" the
// browser's own). Each call replaces the one before, and the emulation
// lasts across navigations.
func emulateMedia(media, scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Media:    media,
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// emulateDark is emulateMedia("", "dark"): the screen in dark mode.
func emulateDark() chromedp.Action[chromedp.Void] { return emulateMedia("", "dark") }

// phoneWidth is the narrowest phone the portal is laid out for.
const phoneWidth = 360

// emulatePhone lays the page out as a phone phoneWidth px wide (the
// viewport meta tag applies), and returns once the page is that wide.
func emulatePhone() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.EmulateViewport(phoneWidth, 780, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		waitWidth("=== "+fmt.Sprint(phoneWidth)),
	)
}

// emulateWindow undoes emulatePhone: the page is laid out in the window
// newBrowser opened (1280 px wide), and returns once it is.
func emulateWindow() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		}),
		waitWidth("> "+fmt.Sprint(phoneWidth)),
	)
}

// waitWidth waits until the page's innerWidth meets cond ("=== 360"): the
// browser lays the page out anew a moment after the emulated viewport
// changes, and a width read, or a click placed, before that would be the
// old layout's.
func waitWidth(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for range 200 {
			ok, err := chromedp.Evaluate[bool]("innerWidth "+cond)(ctx, t)
			if err != nil || ok {
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
		return fmt.Errorf("the page's width did not become %s", cond)
	})
}

// sideways lists the elements that reach past the right edge of the
// viewport, and so make the page scroll sideways; a wide table inside its
// own .table-wrap scrolls there and is not listed.
func sideways(t *testing.T, ctx context.Context) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const root = document.documentElement, width = root.clientWidth;
		if (root.scrollWidth <= width) return [];
		const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			[...el.classList].map(c => "." + c).join("") +
			(el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "");
		const wide = [];
		for (const el of document.body.querySelectorAll("*")) {
			if (el.closest(".table-wrap") && !el.matches(".table-wrap")) continue;
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > width + 0.5 && !wide.some(w => w.el.contains(el))) {
				wide.push({el, s: name(el) + " reaches " + Math.round(r.right) + " px"});
			}
		}
		return [root.scrollWidth + " px wide in " + width + " px"].concat(wide.map(w => w.s));
	})()`))
	must(t, err)
	return out
}

// focusRingProblems moves the focus with Tab through the page, from the
// start, and names each kind of element whose focus ring is missing,
// thinner than 2 px, or below 3:1 against the colour behind it (the
// element's own background too when the ring touches it). Elements are
// grouped by tag and class, so a table of 50 links is one line.
func focusRingProblems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	// Focusing the body for a moment makes it where Tab starts from.
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		document.body.tabIndex = -1;
		document.body.focus();
		document.body.removeAttribute("tabindex");
		window.focusRings = {seen: new WeakSet(), problems: new Map()};
	})()`)))
	tab := func(ctx context.Context, tg *chromedp.Target) (bool, error) {
		if _, err := chromedp.KeyEvent(kb.Tab)(ctx, tg); err != nil {
			return false, err
		}
		return chromedp.Evaluate[bool](focusRingJS)(ctx, tg)
	}
	for range 400 {
		more, err := chromedp.Run(ctx, tab)
		must(t, err)
		if !more {
			break
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		document.activeElement?.blur();
		return [...focusRings.problems].map(([k, v]) => k + ": " + v.why + (v.n > 1 ? " (" + v.n + " elements)" : ""));
	})()`))
	must(t, err)
	return out
}

// focusRingJS judges the focused element's ring and says whether there
// is more to tab to.
const focusRingJS = `(() => {
	const el = document.activeElement, fr = window.focusRings;
	if (!el || el === document.body || fr.seen.has(el)) return false;
	fr.seen.add(el);
	const rgb = c => { const m = c.match(/[\d.]+/g); return m && (m.length < 4 || +m[3] > 0) ? m.slice(0, 3).map(Number) : null; };
	const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
	const behind = from => { for (let e = from; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c) return c; } return [255, 255, 255]; };
	const s = getComputedStyle(el);
	const key = el.tagName.toLowerCase() + [...el.classList].map(c => "." + c).join("") +
		(el.closest(".topbar") ? " in the top bar" : "");
	let why = "";
	const width = parseFloat(s.outlineWidth), ring = rgb(s.outlineColor);
	if (s.outlineStyle === "none" || width < 2 || !ring) {
		why = "no focus ring (outline " + s.outlineStyle + " " + s.outlineWidth + ")";
	} else {
		const against = [["the background behind it", behind(el.parentElement)]];
		if (parseFloat(s.outlineOffset) <= 0) against.push(["its own background", behind(el)]);
		for (const [what, bg] of against) {
			const r = ratio(ring, bg);
			if (r < 3) { why = "ring " + s.outlineColor + " is " + r.toFixed(2) + ":1 against " + what + " rgb(" + bg.join(", ") + ")"; break; }
		}
	}
	if (why) {
		const p = fr.problems.get(key);
		if (p) p.n++; else fr.problems.set(key, {why, n: 1});
	}
	return true;
})()`

// printProblems emulates print (over the dark scheme, which print must
// not inherit) and lists what paper should not show: the header, the
// loading bar, buttons, forms, links styled as buttons, the copy-link
// control; and text that is not black on white. The caller restores the
// media it wants afterwards.
func printProblems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	must(t, chromedp.Do(ctx, emulateMedia("print", "dark")))
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [...document.querySelectorAll(".topbar, .loading-bar, form, button, .button, .copy-link, .crumbs")]
			.filter(el => el.checkVisibility())
			.map(el => "shows " + el.outerHTML.replace(/\s+/g, " ").slice(0, 90));
		const b = getComputedStyle(document.body), main = getComputedStyle(document.querySelector("main"));
		if (b.color !== "rgb(0, 0, 0)" || main.color !== "rgb(0, 0, 0)") out.push("text is " + b.color + ", not black");
		if (b.backgroundColor !== "rgb(255, 255, 255)") out.push("the page is " + b.backgroundColor + ", not white");
		return out;
	})()`))
	must(t, err)
	return out
}

// a11yScreenshot saves the page as name.png in ASSISTDESK_A11Y_SCREENSHOT_DIR,
// and does nothing when it is not set: these are for a person to look at
// while changing app.css, not for the README.
func a11yScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ASSISTDESK_A11Y_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	must(t, os.MkdirAll(dir, 0o755))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// axeSchemes are the colour schemes every state is checked in.
var axeSchemes = []struct {
	name    string
	emulate chromedp.Action[chromedp.Void]
}{{"light", emulateMedia("", "light")}, {"dark", emulateDark()}}

// TestBrowserPagesAreAccessible runs axe-core's WCAG 2.2 A and AA rules on
// every page and state a person can meet (axeStates: signed out, each
// role, search, each outcome of a request on a user's and a device's page,
// the dialogs, the audit trail, scripts and the error pages), in English
// and in German, each in light and dark. On the main pages it also checks
// that nothing scrolls sideways at 360 px, and prints the user and device
// pages (emulated), in both languages; on the English tour it tabs through
// them to judge their focus rings. Each language has a demo and a browser
// of its own, so that the duplicate guard, the rate limits and the
// connector state one technician has seen do not carry over from one tour
// to the other.
func TestBrowserPagesAreAccessible(t *testing.T) {
	chromiumPath(t)
	start := time.Now()
	met := map[axeKnown]bool{}
	pages, ran := 0, 0
	for _, lang := range []string{"en", "de"} {
		t.Run(lang, func(t *testing.T) {
			a := newAxeTour(t, lang, met)
			for _, st := range axeStates {
				t.Run(st.name, func(t *testing.T) {
					st.run(t, a)
					ran++
				})
			}
			pages += a.pages
		})
	}
	// A run of some of the states (-run …/en/…) cannot tell a stale entry.
	if ran == 2*len(axeStates) {
		for k, why := range axeAllowed {
			if !met[k] {
				t.Errorf("axeAllowed names %s on %q, which no longer occurs: remove the entry (%s)", k.rule, k.page, why)
			}
		}
	}
	t.Logf("%d of %d steps (%d a language, in English and German): %d pages and states checked in light and dark in %s",
		ran, 2*len(axeStates), len(axeStates), pages, time.Since(start).Round(100*time.Millisecond))
}

// axeTour is one language's walk through every state, in one browser, on
// a demo of its own.
type axeTour struct {
	lang  string
	ctx   context.Context
	stack *demoStack
	base  string
	// db is the demo's database, where the test spends the write budget
	// as other technicians' requests would.
	db  *store.DB
	met map[axeKnown]bool
	// deep also judges focus rings (English).
	deep  bool
	pages int
	// devices take Request assistance, one per user; each outcome takes
	// the next. androids are Android Enterprise corporate devices, which
	// offer only Try anyway.
	devices, androids []graphsim.ManagedDevice
	// found carries what one state made to a later one: the device a
	// request went to, by the request's page name, and with " attempt"
	// its attempt id.
	found map[string]string
}

func newAxeTour(t *testing.T, lang string, met map[axeKnown]bool) *axeTour {
	t.Helper()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "assistdesk.db")
	stack := launchDemo(t, demoOptions{DatabaseURL: dbURL})
	db, err := store.Open(context.Background(), dbURL)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	a := &axeTour{
		lang: lang, ctx: newBrowserFor(t, 4*time.Minute), stack: stack, base: stack.PortalURL,
		db: db, met: met, deep: lang == "en", found: map[string]string{},
	}
	a.devices, a.androids = axeDevices(stack.Graph.Tenant())
	// The device shows at once what became of an accepted request.
	stack.Graph.SetSessionDelay(0)
	// The language cookie the header's links set, set before any page.
	must(t, chromedp.Do(a.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		httpOnly := true
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: "assistdesk_lang", Value: lang, URL: a.base + "/", Path: "/", HTTPOnly: &httpOnly,
		})
		return err
	})))
	return a
}

// axeDevices are the devices the portal offers Request assistance on (an
// iPhone, Mac or Windows PC with a user, not being retired or wiped), one
// per user with a few devices, and Android Enterprise corporate devices.
func axeDevices(tn *graphsim.Tenant) (plain, androids []graphsim.ManagedDevice) {
	taken := map[string]bool{}
	for _, d := range tn.Devices {
		if d.UserID == "" || taken[d.UserID] || len(tn.DevicesOfUser(d.UserID)) > 4 {
			continue
		}
		switch {
		case slices.Contains([]string{"androidEnterpriseFullyManaged", "androidEnterpriseCorporateWorkProfile", "androidEnterpriseDedicatedDevice"}, d.DeviceEnrollmentType):
			androids = append(androids, d)
		case slices.Contains([]string{"iOS", "macOS", "Windows"}, d.OperatingSystem) &&
			!strings.HasPrefix(d.ManagementState, "retire") && !strings.HasPrefix(d.ManagementState, "wipe"):
			plain = append(plain, d)
		default:
			continue
		}
		taken[d.UserID] = true
	}
	return plain, androids
}

// next takes a device no request has touched yet.
func (a *axeTour) next(t *testing.T) graphsim.ManagedDevice {
	t.Helper()
	if len(a.devices) == 0 {
		t.Fatal("the demo tenant has no device left for another request")
	}
	d := a.devices[0]
	a.devices = a.devices[1:]
	return d
}

func (a *axeTour) userURL(d graphsim.ManagedDevice) string {
	return a.base + "/users/" + d.UserID + "?ticket=INC-1"
}

func (a *axeTour) deviceURL(d graphsim.ManagedDevice) string {
	return a.base + "/devices/" + strings.ToLower(d.ID) + "?ticket=INC-1"
}

// cardOf selects a device's card on a user's page.
func cardOf(d graphsim.ManagedDevice) string {
	return "[data-device-id='" + strings.ToLower(d.ID) + "']"
}

// do runs actions, and fails the state when they take more than 20 s
// (a state that never comes) rather than the rest of the tour.
func (a *axeTour) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		// What the page shows instead says what went wrong.
		shows, _ := chromedp.Run(a.ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.querySelector("main") ?? document.body).innerText.slice(0, 3000)`))
		t.Fatalf("%v; the page shows %s", err, shows)
	}
}

// check runs axe on the page the browser shows, in light and dark, after
// making sure the page is in the tour's language.
func (a *axeTour) check(t *testing.T, page string) {
	t.Helper()
	a.pages++
	lang, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	must(t, err)
	if lang != a.lang {
		t.Errorf("%s: the page is in %q, not %q", page, lang, a.lang)
	}
	for _, scheme := range axeSchemes {
		must(t, chromedp.Do(a.ctx, scheme.emulate))
		for _, k := range assertAccessible(t, a.ctx, page) {
			a.met[k] = true
		}
		a11yScreenshot(t, a.ctx, a.lang+"-"+axeFileName(page)+"-"+scheme.name)
	}
	must(t, chromedp.Do(a.ctx, emulateMedia("", "light")))
}

// checkDeep is check, and the page 360 px wide (German words are
// longer), and on the deep tour the focus ring of everything Tab reaches,
// in light and dark.
func (a *axeTour) checkDeep(t *testing.T, page string) {
	t.Helper()
	a.check(t, page)
	if a.deep {
		for _, scheme := range axeSchemes {
			must(t, chromedp.Do(a.ctx, scheme.emulate))
			if bad := focusRingProblems(t, a.ctx); len(bad) > 0 {
				t.Errorf("%s (%s): focus rings:\n  %s", page, scheme.name, strings.Join(bad, "\n  "))
			}
		}
	}
	must(t, chromedp.Do(a.ctx, emulateMedia("", "light"), emulatePhone()))
	if wide := sideways(t, a.ctx); len(wide) > 0 {
		t.Errorf("%s scrolls sideways at %d px:\n  %s", page, phoneWidth, strings.Join(wide, "\n  "))
	}
	a11yScreenshot(t, a.ctx, a.lang+"-"+axeFileName(page)+"-phone")
	must(t, chromedp.Do(a.ctx, emulateWindow()))
}

// checkPrint looks at the page as printed.
func (a *axeTour) checkPrint(t *testing.T, page string) {
	t.Helper()
	if bad := printProblems(t, a.ctx); len(bad) > 0 {
		t.Errorf("%s printed:\n  %s", page, strings.Join(bad, "\n  "))
	}
	facts, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](
		`[...document.querySelectorAll("[data-testid=device] dl.facts")].every(dl => dl.checkVisibility()) && !!document.querySelector("dl.facts")`))
	must(t, err)
	if !facts {
		t.Errorf("%s printed does not show the device facts", page)
	}
	for _, k := range assertAccessible(t, a.ctx, page+" printed") {
		a.met[k] = true
	}
	a11yScreenshot(t, a.ctx, a.lang+"-"+axeFileName(page)+"-print")
	must(t, chromedp.Do(a.ctx, emulateMedia("", "light")))
}

// open navigates to url, fails the state unless the page answers with
// status (0: any), and waits until ready is visible.
func (a *axeTour) open(t *testing.T, url string, status int64, ready string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	must(t, err)
	if status != 0 && resp.Status != status {
		t.Errorf("%s answered %d, want %d", url, resp.Status, status)
	}
	a.do(t, chromedp.WaitVisible(chromedp.CSS(ready)))
}

// visit opens url and checks it as page.
func (a *axeTour) visit(t *testing.T, page, url string, status int64, ready string) {
	t.Helper()
	a.open(t, url, status, ready)
	a.check(t, page)
}

// signIn signs in as person from url, signed out.
func (a *axeTour) signIn(t *testing.T, url, person string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	signInAs(t, ctx, url, person)
}

// signOut clicks Sign out in the header, which ends at the signed-out notice.
func (a *axeTour) signOut(t *testing.T) {
	t.Helper()
	a.do(t, chromedp.Click(chromedp.CSS("[data-testid=sign-out]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=signed-out]")))
}

// request clicks button (assist or try-anyway) on d's card on its user's
// page, with arrange's fault in place until the answer, waits for the
// request to stand at phase, and checks the user's page, then the device's
// own page, which shows the same request from the audit trail. status,
// when not "", is Graph's status the support details must name.
func (a *axeTour) request(t *testing.T, name string, d graphsim.ManagedDevice, button string, arrange func() (undo func()), phase, status string) {
	t.Helper()
	card := cardOf(d)
	a.open(t, a.userURL(d), http.StatusOK, card)
	if count(t, a.ctx, card+" button[data-testid="+button+"]") != 1 {
		t.Fatalf("%s offers no %s button", d.DeviceName, button)
	}
	undo := arrange()
	undone := false
	defer func() {
		if !undone {
			undo()
		}
	}()
	a.do(t,
		chromedp.Click(chromedp.CSS(card+" button[data-testid="+button+"]")),
		chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=request][data-phase="+phase+"]")),
	)
	undo()
	undone = true
	a.graphStatus(t, card+" ", status)
	a.check(t, "user: "+name)
	a.open(t, a.deviceURL(d), http.StatusOK, "[data-testid=request][data-phase="+phase+"]")
	a.graphStatus(t, "", status)
	// The device's page is checked with its details open, which axe
	// does not look into while they are closed.
	a.openDetails(t)
	a.check(t, "device: "+name)
	a.found[name] = d.ID
	a.found[name+" attempt"] = attr(t, a.ctx, "[data-testid=request]", "data-attempt-id")
}

// closeDialog clicks the open dialog's Cancel button.
func (a *axeTour) closeDialog(t *testing.T) {
	t.Helper()
	a.do(t,
		chromedp.Click(chromedp.CSS("dialog[open] button[command=close]")),
		chromedp.WaitNotVisible(chromedp.CSS("[data-testid=again-dialog]")),
	)
}

// openDetails opens every <details> on the page (Details for support, a
// blocked device's reason in a table); a live request has none.
func (a *axeTour) openDetails(t *testing.T) {
	t.Helper()
	must(t, chromedp.Do(a.ctx, chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll("details:not([open])").forEach(d => { d.open = true; })`)))
}

// rewrite changes an attempt in the audit trail, as time or a colleague
// would have: set is an SQL assignment list, args its values.
func (a *axeTour) rewrite(t *testing.T, attempt, set string, args ...any) {
	t.Helper()
	if attempt == "" {
		t.Fatal("no attempt to rewrite: the state that makes it failed")
	}
	res, err := a.db.ExecContext(context.Background(), "UPDATE audit_attempts SET "+set+" WHERE id = ?", append(args, attempt)...)
	must(t, err)
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("rewrote %d attempts (%v), want 1", n, err)
	}
}

// graphStatus fails the state unless the support details under within
// name Graph's status (the right failure is the one checked).
func (a *axeTour) graphStatus(t *testing.T, within, status string) {
	t.Helper()
	if status == "" {
		return
	}
	got, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](
		`document.querySelector(`+strconv.Quote(within+"[data-testid=request] [data-testid=graph-status]")+`)?.textContent ?? ""`))
	must(t, err)
	if !strings.Contains(got, status) {
		t.Errorf("the request's support details say %q, want Graph's %s", got, status)
	}
}

// spendBudget fills the shared write budget (200 a window) with sends
// taken at, as other technicians' requests would; they replace the sends
// of the window, so that the first slot frees when at leaves the window.
// freeBudget removes them.
func (a *axeTour) spendBudget(t *testing.T, at time.Time) {
	t.Helper()
	tx, err := a.db.BeginTx(context.Background(), nil)
	must(t, err)
	defer tx.Rollback()
	_, err = tx.Exec("DELETE FROM write_budget_sends")
	must(t, err)
	for range 200 {
		_, err := tx.Exec("INSERT INTO write_budget_sends (sent_at, attempt_id) VALUES (?, ?)", at.UnixMilli(), "axe-test-filler")
		must(t, err)
	}
	must(t, tx.Commit())
}

func (a *axeTour) freeBudget(t *testing.T) {
	t.Helper()
	_, err := a.db.ExecContext(context.Background(), "DELETE FROM write_budget_sends WHERE attempt_id = ?", "axe-test-filler")
	must(t, err)
}

// axeFileName is a page's name as a file name.
func axeFileName(page string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(page)), "-")
}

// nothing is an arrangement of no fault.
func nothing() func() { return func() {} }

// axeStates are every page and state, in the order one tour meets them:
// signed out and each role; a request on a user's page in each outcome,
// live, final and refused, and the same request on the device's own page;
// the duplicate notice and the Request again dialog; search; the audit
// trail; scripts; the error pages. A state checks one page or more, each
// under its own name, which axeAllowed keys on.
var axeStates = []struct {
	name string
	run  func(t *testing.T, a *axeTour)
}{
	{"signed out", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/", http.StatusOK, "[data-testid=sign-in]")
		a.checkDeep(t, "sign-in")
		// The page axe runs in is under the portal's CSP: an inline script
		// does not run there, axe injected over the protocol does.
		ran, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](`(() => {
			const s = document.createElement("script");
			s.textContent = "window.inlineRan = true";
			document.head.append(s);
			return window.inlineRan === true;
		})()`))
		must(t, err)
		if ran {
			t.Error("an inline script ran on the sign-in page: the Content-Security-Policy is not in force")
		}
	}},
	{"a person without a role", func(t *testing.T, a *axeTour) {
		a.signIn(t, a.base+"/", "sam")
		a.do(t, chromedp.WaitVisible(chromedp.CSS("[data-testid=problem]")))
		a.check(t, "not authorised")
	}},
	{"an auditor", func(t *testing.T, a *axeTour) {
		a.signIn(t, a.base+"/audit", "avery")
		a.do(t, chromedp.WaitVisible(chromedp.CSS("[data-testid=audit-filter]")))
		a.check(t, "audit trail, auditor only")
		a.visit(t, "search, to an auditor (403)", a.base+"/", http.StatusForbidden, "[data-testid=problem]")
		a.signOut(t)
		a.check(t, "signed out")
	}},
	{"a technician, connector not onboarded", func(t *testing.T, a *axeTour) {
		// Harper alone sees it: the portal keeps each technician's view
		// of the connector for 5 minutes.
		must(t, a.stack.Graph.SetPartnerStatus("notOnboarded"))
		defer func() { must(t, a.stack.Graph.SetPartnerStatus("onboarded")) }()
		d := a.next(t)
		a.signIn(t, a.userURL(d), "harper")
		a.do(t, chromedp.WaitVisible(chromedp.CSS("[data-testid=connector-warning]")),
			chromedp.WaitVisible(chromedp.CSS(cardOf(d)+" [data-testid=blocked]")))
		a.check(t, "user: connector not onboarded")
		a.visit(t, "device: connector not onboarded", a.deviceURL(d), http.StatusOK, "[data-testid=connector-warning]")
		a.signOut(t)
	}},
	{"a technician and auditor, nothing asked yet", func(t *testing.T, a *axeTour) {
		a.signIn(t, a.base+"/", "lee")
		a.do(t, chromedp.WaitVisible(chromedp.CSS("[data-testid=recent]")))
		a.check(t, "search: no requests yet")
	}},
	{"accepted, asked again, Request again", func(t *testing.T, a *axeTour) {
		d := a.next(t)
		card := cardOf(d)
		a.open(t, a.userURL(d), http.StatusOK, card+" button[data-testid=assist]")
		// The user does not accept for a while: the request stays accepted.
		a.stack.Graph.SetSessionDelay(10 * time.Minute)
		defer a.stack.Graph.SetSessionDelay(0)
		a.do(t,
			chromedp.Click(chromedp.CSS(card+" button[data-testid=assist]")),
			chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=request][data-phase=accepted]")),
		)
		a.graphStatus(t, card+" ", "204")
		a.checkDeep(t, "user: accepted")
		a.checkPrint(t, "user")
		// A second click shows the earlier request and asks again in a dialog.
		a.do(t,
			chromedp.Click(chromedp.CSS(card+" button[data-testid=assist]")),
			chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=duplicate] [data-testid=request-again]")),
		)
		a.check(t, "user: asked again, duplicate")
		a.do(t,
			chromedp.Click(chromedp.CSS(card+" [data-testid=request-again]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=again-dialog]")),
		)
		a.checkDeep(t, "user: Request again dialog")
		a.closeDialog(t)
		// The device's own page: the same request, asked again there.
		a.open(t, a.deviceURL(d), http.StatusOK, "[data-testid=request][data-phase=accepted]")
		a.checkDeep(t, "device: accepted")
		a.checkPrint(t, "device")
		a.found["accepted"] = d.ID
		a.found["accepted attempt"] = attr(t, a.ctx, "[data-testid=request]", "data-attempt-id")
		a.do(t,
			chromedp.Click(chromedp.CSS("button[data-testid=assist]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=duplicate] [data-testid=request-again]")),
		)
		a.check(t, "device: asked again, duplicate")
		a.do(t,
			chromedp.Click(chromedp.CSS("[data-testid=request-again]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=again-dialog]")),
		)
		a.check(t, "device: Request again dialog")
		a.closeDialog(t)
	}},
	{"sending", func(t *testing.T, a *axeTour) {
		// A device that answers 12 s late: long enough to see the request
		// under way on both pages, short enough to end within the tour.
		// (A device that never answers would hold the request for the
		// Graph client's 30 s timeout.) The device's page asks, so that
		// the user's page, which does not read the device, shows it
		// under way from the audit trail.
		d := a.next(t)
		a.open(t, a.deviceURL(d), http.StatusOK, "button[data-testid=assist]")
		a.stack.Graph.SetDeviceFault(d.ID, graphsim.Slow(12*time.Second))
		defer a.stack.Graph.SetDeviceFault(d.ID, graphsim.DeviceFault{})
		a.do(t,
			chromedp.Click(chromedp.CSS("button[data-testid=assist]")),
			chromedp.WaitVisible(chromedp.CSS(".assist.htmx-request .sending")),
		)
		a.check(t, "device: sending, the answer awaited")
		a.open(t, a.userURL(d), http.StatusOK, cardOf(d)+" [data-testid=request][data-phase=sending]")
		a.check(t, "user: sending")
	}},
	{"retrying while Graph throttles", func(t *testing.T, a *axeTour) {
		a.request(t, "retrying", a.next(t), "assist", func() func() {
			must(t, a.stack.Graph.ThrottleMethod(http.MethodPost, 1, 15*time.Second))
			return func() {}
		}, "retrying", "")
	}},
	{"queued for the write budget", func(t *testing.T, a *axeTour) {
		// Other requests spent the budget 6 s ago: a slot frees in 15 s.
		a.request(t, "queued", a.next(t), "assist", func() func() {
			a.spendBudget(t, time.Now().Add(-6*time.Second))
			return func() { a.freeBudget(t) }
		}, "queued", "")
	}},
	{"refused, write budget", func(t *testing.T, a *axeTour) {
		// Sends the budget cannot free within MAX_WAIT (60 s).
		a.request(t, "refused, write budget", a.next(t), "assist", func() func() {
			a.spendBudget(t, time.Now().Add(time.Minute))
			return func() { a.freeBudget(t) }
		}, "refused", "")
	}},
	{"ready", func(t *testing.T, a *axeTour) {
		a.request(t, "ready", a.next(t), "assist", nothing, "ready", "204")
	}},
	{"session failed", func(t *testing.T, a *axeTour) {
		d := a.next(t)
		a.request(t, "session failed", d, "assist", func() func() {
			a.stack.Graph.SetDeviceFault(d.ID, graphsim.SessionError)
			return func() { a.stack.Graph.SetDeviceFault(d.ID, graphsim.DeviceFault{}) }
		}, "sessionFailed", "204")
	}},
	{"not supported", func(t *testing.T, a *axeTour) {
		if len(a.androids) == 0 {
			t.Fatal("the demo tenant has no Android Enterprise corporate device")
		}
		a.request(t, "not supported", a.androids[0], "try-anyway", nothing, "notSupported", "204")
	}},
	{"failed, 403", func(t *testing.T, a *axeTour) {
		d := a.next(t)
		a.request(t, "failed, forbidden", d, "assist", func() func() {
			a.stack.Graph.SetDeviceFault(d.ID, graphsim.Forbidden)
			return func() { a.stack.Graph.SetDeviceFault(d.ID, graphsim.DeviceFault{}) }
		}, "failed", "403")
	}},
	{"failed, 404", func(t *testing.T, a *axeTour) {
		d := a.next(t)
		a.request(t, "failed, not found", d, "assist", func() func() {
			a.stack.Graph.SetDeviceFault(d.ID, graphsim.Gone)
			return func() { a.stack.Graph.SetDeviceFault(d.ID, graphsim.DeviceFault{}) }
		}, "failed", "404")
	}},
	{"failed, throttled to the end", func(t *testing.T, a *axeTour) {
		// Graph asks for a pause longer than MAX_WAIT: the portal stops.
		a.request(t, "failed, throttled", a.next(t), "assist", func() func() {
			must(t, a.stack.Graph.ThrottleMethod(http.MethodPost, 1, 90*time.Second))
			return func() { must(t, a.stack.Graph.ThrottleMethod(http.MethodPost, 0, 0)) }
		}, "failed", "429")
	}},
	{"failed, 500", func(t *testing.T, a *axeTour) {
		a.request(t, "failed, Graph failed", a.next(t), "assist", failPosts(t, a, http.StatusInternalServerError), "failed", "500")
	}},
	{"failed, 503", func(t *testing.T, a *axeTour) {
		a.request(t, "failed, unavailable", a.next(t), "assist", failPosts(t, a, http.StatusServiceUnavailable), "failed", "503")
	}},
	{"unknown, 502", func(t *testing.T, a *axeTour) {
		// A gateway's error says nothing of whether Intune took it.
		a.request(t, "unknown", a.next(t), "assist", failPosts(t, a, http.StatusBadGateway), "unknown", "502")
	}},
	{"after the watch", func(t *testing.T, a *axeTour) {
		// Three minutes on: the device is no longer watched for the
		// session, and a button asks again.
		for _, name := range []string{"accepted", "ready"} {
			a.rewrite(t, a.found[name+" attempt"], "created_at = created_at - ?, completed_at = completed_at - ?, session_at = session_at - ?",
				3*time.Minute.Milliseconds(), 3*time.Minute.Milliseconds(), 3*time.Minute.Milliseconds())
			d := graphsim.ManagedDevice{ID: a.found[name]}
			a.open(t, a.deviceURL(d), http.StatusOK, "[data-testid=request][data-phase="+name+"] [data-testid=check-again]")
			a.check(t, "device: "+name+", watch ended")
		}
	}},
	{"a colleague's request", func(t *testing.T, a *axeTour) {
		// The session link is the requester's alone.
		a.rewrite(t, a.found["ready attempt"], "technician_key = ?, technician_oid = ?, technician_name = ?, technician_upn = ?",
			"colleague", "0c6a1f52-7d3e-4b8a-9f21-3e5d7a9b1c01", "Harper Helpdesk", "harper@contoso.example")
		d := graphsim.ManagedDevice{ID: a.found["ready"]}
		a.open(t, a.deviceURL(d), http.StatusOK, "[data-testid=request][data-phase=ready]")
		if count(t, a.ctx, "[data-testid=session-link], [data-testid=check-again]") != 0 {
			t.Error("a colleague's session link, or the button that shows it, is offered")
		}
		a.check(t, "device: a colleague's request, ready")
	}},
	{"a shared account's many devices", func(t *testing.T, a *axeTour) {
		kiosk, _ := a.stack.Graph.Tenant().UserByUPN(graphsim.DemoKioskUPN)
		a.visit(t, "user: 130 devices, 50 shown", a.base+"/users/"+kiosk.ID, http.StatusOK, "[data-testid=show-more]")
	}},
	{"search, recent requests", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/", http.StatusOK, "[data-testid=recent] table")
		a.checkDeep(t, "search: recent requests")
	}},
	{"search results", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/?q=adele", http.StatusOK, "[data-testid=user-hit]")
		a.checkDeep(t, "search: results")
	}},
	{"search, no results", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/?q=nobody-is-called-this", http.StatusOK, "[data-testid=no-results]")
		a.checkDeep(t, "search: no results")
	}},
	{"search, directory failing", func(t *testing.T, a *axeTour) {
		must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet, Rate: 1, Status: http.StatusServiceUnavailable}))
		defer func() { must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet})) }()
		a.visit(t, "search: directory failing", a.base+"/?q=zoe", http.StatusOK, "[data-testid=search-problem]")
	}},
	{"searching", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/", http.StatusOK, "[data-testid=search-input]")
		must(t, a.stack.Graph.SetLatency(3*time.Second, 0))
		defer func() { must(t, a.stack.Graph.SetLatency(0, 0)) }()
		a.do(t,
			chromedp.SendKeys(chromedp.CSS("[data-testid=search-input]"), "o'brien"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=searching]")),
		)
		a.check(t, "search: searching")
	}},
	{"audit trail", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/audit", http.StatusOK, "[data-testid=attempt]")
		a.checkDeep(t, "audit trail")
		a.visit(t, "audit trail, filtered", a.base+"/audit?technician=lee&outcome=failed", http.StatusOK, "[data-testid=attempt]")
		a.visit(t, "audit trail, filtered to nothing", a.base+"/audit?ticket=NO-SUCH-TICKET", http.StatusOK, "[data-testid=no-attempts]")
		a.visit(t, "audit trail, bad filter (400)", a.base+"/audit?outcome=sometimes", http.StatusBadRequest, "[data-testid=problem]")
	}},
	{"scripts", func(t *testing.T, a *axeTour) {
		a.open(t, a.base+"/scripts", http.StatusOK, "[data-testid=script] a")
		a.checkDeep(t, "scripts")
		script := a.base + attr(t, a.ctx, "[data-testid=script] a", "href")
		a.open(t, script, http.StatusOK, "[data-testid=run]")
		a.checkDeep(t, "script")
		a.open(t, script+"?state=failed", http.StatusOK, "[data-testid=state-failed][aria-current=page]")
		a.openDetails(t)
		a.check(t, "script, failed runs, details open")
		a.visit(t, "script run", a.base+attr(t, a.ctx, "[data-testid=run-apps]", "href"), http.StatusOK, "[data-testid=app] a")
		a.visit(t, "devices with an app", a.base+attr(t, a.ctx, "[data-testid=app] a", "href"), http.StatusOK, "[data-testid=device]")
	}},
	{"error pages", func(t *testing.T, a *axeTour) {
		adele, _ := a.stack.Graph.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
		a.visit(t, "user, malformed ticket", a.base+"/users/"+adele.ID+"?ticket=not+a+ticket!", http.StatusOK, "[data-testid=ticket-invalid]")
		a.open(t, a.base+"/users/nobody.here@contoso.example", http.StatusNotFound, "[data-testid=problem-search]")
		a.checkDeep(t, "not found: user")
		a.visit(t, "not found: path", a.base+"/no/such/page", http.StatusNotFound, "[data-testid=problem]")
		a.visit(t, "bad id (400)", a.base+"/devices/not-a-device-id", http.StatusBadRequest, "[data-testid=problem]")
		a.visit(t, "wrong method (405)", a.base+"/logout", http.StatusMethodNotAllowed, "[data-testid=problem]")
		must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet, Rate: 1, Status: http.StatusBadGateway}))
		defer func() { must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet})) }()
		a.visit(t, "Graph failed (502)", a.base+"/users/"+adele.ID+"?ticket=INC-1&fresh=1", http.StatusBadGateway, "[data-testid=try-again]")
	}},
	{"sign-in, too many starts", func(t *testing.T, a *axeTour) {
		// Last: it uses up this browser's sign-ins for a minute. Each
		// start counts (30 a minute); the next is refused with a page.
		a.open(t, a.base+"/", http.StatusOK, "[data-testid=sign-out]")
		a.signOut(t)
		started, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`(async () => {
			let n = 0;
			while (n < 100 && (await fetch("/login?start=1", {redirect: "manual"})).type === "opaqueredirect") n++;
			return n;
		})()`, chromedp.EvalAwaitPromise))
		must(t, err)
		if started == 0 || started >= 100 {
			t.Fatalf("%d sign-ins started before the limit", started)
		}
		a.visit(t, "sign-in refused (429)", a.base+"/login?start=1", http.StatusTooManyRequests, "[data-testid=problem]")
	}},
}

// failPosts is an arrangement where Graph answers every POST with status.
func failPosts(t *testing.T, a *axeTour, status int) func() func() {
	return func() func() {
		must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodPost, Rate: 1, Status: status}))
		return func() { must(t, a.stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodPost})) }
	}
}
