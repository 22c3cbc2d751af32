package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/assistdesk/assistdesk/internal/graphsim"
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

// TestBrowserPagesAreAccessible runs axe-core's WCAG 2.2 A and AA rules on
// each kind of page in light and dark, tabs through it to judge its focus
// rings, checks that it does not scroll sideways on a 360 px phone, and
// prints the user and device pages (emulated) to check what paper shows.
func TestBrowserPagesAreAccessible(t *testing.T) {
	chromiumPath(t)
	start := time.Now()
	stack := launchDemo(t, demoOptions{})
	tenant := stack.Graph.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	var phone graphsim.ManagedDevice
	for _, d := range tenant.DevicesOfUser(adele.ID) {
		if d.OperatingSystem == "iOS" {
			phone = d
		}
	}
	if phone.ID == "" {
		t.Fatal("Adele has no iPhone in the demo tenant")
	}
	base := stack.PortalURL
	ctx := newBrowser(t)
	met := map[axeKnown]bool{}
	pages := 0
	schemes := []struct {
		name    string
		emulate chromedp.Action[chromedp.Void]
	}{{"light", emulateMedia("", "light")}, {"dark", emulateDark()}}

	// check runs axe and judges the focus rings in light and dark, then
	// looks at the page 360 px wide.
	check := func(page string) {
		t.Helper()
		pages++
		for _, scheme := range schemes {
			must(t, chromedp.Do(ctx, scheme.emulate))
			for _, k := range assertAccessible(t, ctx, page) {
				met[k] = true
			}
			if bad := focusRingProblems(t, ctx); len(bad) > 0 {
				t.Errorf("%s (%s): focus rings:\n  %s", page, scheme.name, strings.Join(bad, "\n  "))
			}
			a11yScreenshot(t, ctx, strings.ReplaceAll(page, " ", "-")+"-"+scheme.name)
		}
		must(t, chromedp.Do(ctx, emulateMedia("", "light"), emulatePhone()))
		if wide := sideways(t, ctx); len(wide) > 0 {
			t.Errorf("%s scrolls sideways at %d px:\n  %s", page, phoneWidth, strings.Join(wide, "\n  "))
		}
		a11yScreenshot(t, ctx, strings.ReplaceAll(page, " ", "-")+"-phone")
		must(t, chromedp.Do(ctx, emulateWindow()))
	}
	// checkPrint looks at a page as printed.
	checkPrint := func(page string) {
		t.Helper()
		if bad := printProblems(t, ctx); len(bad) > 0 {
			t.Errorf("%s printed:\n  %s", page, strings.Join(bad, "\n  "))
		}
		facts, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`[...document.querySelectorAll("[data-testid=device] dl.facts")].every(dl => dl.checkVisibility()) && !!document.querySelector("dl.facts")`))
		must(t, err)
		if !facts {
			t.Errorf("%s printed does not show the device facts", page)
		}
		for _, k := range assertAccessible(t, ctx, page+" printed") {
			met[k] = true
		}
		a11yScreenshot(t, ctx, strings.ReplaceAll(page, " ", "-")+"-print")
		must(t, chromedp.Do(ctx, emulateMedia("", "light")))
	}
	visit := func(page, url, ready string) {
		t.Helper()
		must(t, chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(ready))))
		check(page)
	}

	visit("sign-in", base+"/", "[data-testid=sign-in]")
	// The page axe runs in is under the portal's CSP: an inline script
	// does not run there, axe injected over the protocol does.
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.createElement("script");
		s.textContent = "window.inlineRan = true";
		document.head.append(s);
		return window.inlineRan === true;
	})()`))
	must(t, err)
	if ran {
		t.Error("an inline script ran on the sign-in page: the Content-Security-Policy is not in force")
	}

	// Lee is technician and auditor: every page is open to him. A request
	// on Adele's iPhone puts an answered request on her page, the device's
	// page, the search page's recent requests and the audit trail.
	signInAs(t, ctx, base+"/users/"+adele.ID+"?ticket=INC-1", "lee")
	card := "[data-device-id='" + phone.ID + "']"
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(card+" button[data-testid=assist]")),
		chromedp.Click(chromedp.CSS(card+" button[data-testid=assist]")),
		chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=request][data-phase=accepted]")),
	))
	check("user")
	checkPrint("user")
	// A second click shows the earlier request and asks again in a dialog.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(card+" button[data-testid=assist]")),
		chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=request-again]")),
		chromedp.Click(chromedp.CSS(card+" [data-testid=request-again]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=again-dialog]")),
	))
	check("request again dialog")
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("dialog[open] button[command=close]")),
		chromedp.WaitNotVisible(chromedp.CSS("[data-testid=again-dialog]")),
	))
	visit("device", base+"/devices/"+phone.ID+"?ticket=INC-1", "[data-testid=request]")
	checkPrint("device")
	visit("search empty", base+"/", "[data-testid=recent] table")
	visit("search results", base+"/?q=adele", "[data-testid=user-hit]")
	visit("search no results", base+"/?q=nobody-is-called-this", "[data-testid=no-results]")
	visit("audit trail", base+"/audit", "[data-testid=attempt]")
	visit("scripts", base+"/scripts", "[data-testid=script] a")
	script := attr(t, ctx, "[data-testid=script] a", "href")
	visit("script", base+script, "[data-testid=run]")
	visit("not found", base+"/users/nobody.here@contoso.example", "[data-testid=problem]")

	for k, why := range axeAllowed {
		if !met[k] {
			t.Errorf("axeAllowed names %s on the %s page, which no longer occurs: remove the entry (%s)", k.rule, k.page, why)
		}
	}
	t.Logf("checked %d pages in light and dark, at %d px, and 2 of them printed, in %s", pages, phoneWidth, time.Since(start).Round(100*time.Millisecond))
}
