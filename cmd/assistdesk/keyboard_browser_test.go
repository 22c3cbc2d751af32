package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// press sends keys to whatever has the focus, as a keyboard does: a key
// that types a character is a raw key-down, the character, a key-up, and
// a page that handles the key-down (preventDefault) keeps the character
// from being typed. chromedp.KeyEvent sends a cooked keyDown instead,
// after which Chromium types the character whatever the page did, so "/"
// would land in the field it just moved the focus to.
func press(keys string, mods ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			events := kb.Encode(r)
			for _, e := range events {
				for _, m := range mods {
					e.Modifiers |= int64(m)
				}
				if e.Type == kb.KeyDown && len(events) == 3 {
					e.Type = kb.KeyRawDown
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// until waits for the expression to be true in the page (30 s at most).
func until(expression string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expression)(ctx, t)
		return err
	})
}

// focusedJS describes the focused element for a failure message.
const focusedJS = `(el => !el || el === document.body ? "<body>" :
	"<" + el.tagName.toLowerCase() + (el.id ? " id=" + el.id : "") +
	(el.className && typeof el.className === "string" ? " class=\"" + el.className + "\"" : "") +
	(el.dataset.testid ? " data-testid=" + el.dataset.testid : "") + "> " +
	JSON.stringify((el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 60)))(document.activeElement)`

// focused describes the element that has the focus.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusedJS))
	must(t, err)
	return s
}

// focusMatches reports whether the focused element matches sel.
func focusMatches(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`!!document.activeElement && document.activeElement !== document.body && document.activeElement.matches(`+strconv.Quote(sel)+`)`))
	must(t, err)
	return ok
}

// ringProblem judges the focused element's focus ring as
// focusRingProblems does (outline not none, 2 px or more, 3:1 against
// what is behind it), and returns what is wrong with it, "" when nothing.
func ringProblem(t *testing.T, ctx context.Context) string {
	t.Helper()
	why, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		window.focusRings = {seen: new WeakSet(), problems: new Map()};
		if (!`+focusRingJS+`) return "nothing has the focus";
		return [...focusRings.problems.values()].map(p => p.why).join("; ");
	})()`))
	must(t, err)
	return why
}

// expectFocus fails the test unless the focused element matches sel, and
// reports a focus ring that is missing or too faint. what names the step.
func expectFocus(t *testing.T, ctx context.Context, sel, what string) {
	t.Helper()
	if !focusMatches(t, ctx, sel) {
		t.Fatalf("%s: focus is on %s, want %s", what, focused(t, ctx), sel)
	}
	if why := ringProblem(t, ctx); why != "" {
		t.Errorf("%s: %s has no visible focus ring: %s", what, focused(t, ctx), why)
	}
}

// tabTo presses Tab until the focus is on an element that matches sel,
// judging the focus ring of every element it passes, and fails when the
// focus falls to the page or more than max presses do not reach it.
func tabTo(t *testing.T, ctx context.Context, sel string, max int, what string) {
	t.Helper()
	for i := 1; i <= max; i++ {
		must(t, chromedp.Do(ctx, press(kb.Tab)))
		now := focused(t, ctx)
		if now == "<body>" {
			t.Fatalf("%s: after %d Tab(s) the focus fell to the page before reaching %s", what, i, sel)
		}
		if why := ringProblem(t, ctx); why != "" {
			t.Errorf("%s: Tab %d reaches %s, which has no visible focus ring: %s", what, i, now, why)
		}
		if focusMatches(t, ctx, sel) {
			return
		}
	}
	t.Fatalf("%s: %d Tabs do not reach %s (focus is on %s)", what, max, sel, focused(t, ctx))
}

// announcements is what a device's live region said while it was
// watched, and each copy of a request its outcome region received
// ("phase attempt-id").
type announcements struct {
	Said   []string `json:"said"`
	Copies []string `json:"copies"`
}

// watchAnnouncements records, from now on, every text the live region of
// the device block sel receives and every request put in its outcome.
func watchAnnouncements(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(block => {
		const region = block.querySelector("[data-announce]"), outcome = block.querySelector(".outcome");
		window.heard = {said: [], copies: []};
		new MutationObserver(records => {
			for (const r of records) {
				const text = r.type === "characterData" ? r.target.data :
					[...r.addedNodes].map(n => n.textContent).join("");
				if (text.trim() !== "") heard.said.push(text.trim());
			}
		}).observe(region, {childList: true, characterData: true, subtree: true});
		new MutationObserver(records => {
			for (const r of records) for (const n of r.addedNodes) {
				if (n.nodeType !== 1) continue;
				const req = n.matches(".request") ? n : n.querySelector(".request");
				if (req) heard.copies.push(req.dataset.phase + " " + req.dataset.attemptId);
			}
		}).observe(outcome, {childList: true, subtree: true});
	})(document.querySelector(`+strconv.Quote(sel)+`))`)))
}

// heard reads what watchAnnouncements recorded.
func heard(t *testing.T, ctx context.Context) announcements {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.heard)`))
	must(t, err)
	var a announcements
	must(t, json.Unmarshal([]byte(s), &a))
	return a
}

// assistancePosts counts the requestRemoteAssistance calls that reached
// the simulated Graph, answered or not.
func assistancePosts(stack *demoStack) int {
	n := 0
	for _, r := range stack.Graph.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/requestRemoteAssistance") {
			n++
		}
	}
	return n
}

// A technician who works with the keyboard alone: from the search page to
// a person's device, a request, its outcome said once, and Request again
// through its dialog, never losing the focus and always seeing where it is.
func TestBrowserKeyboardOnly(t *testing.T) {
	chromiumPath(t)
	start := time.Now()
	// The device shows its session 5 s after Intune accepts: the outcome
	// refreshes itself (every 2 s) at least once while accepted, then
	// turns ready, within the time the live region is watched.
	stack := launchDemo(t, demoOptions{Faults: graphsim.Faults{SessionDelay: 5 * time.Second}})
	adele, _ := stack.Graph.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	phone := adelesPhone(t, stack.Graph.Tenant())
	block := "#assist-" + phone.ID
	button := block + " button[data-testid=assist]"
	outcome := block + " .outcome"

	ctx := newBrowser(t)
	// Signing in is the only place for the mouse.
	signInAs(t, ctx, stack.PortalURL+"/", "harper")
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#q"))))

	// The top of the page: the search field takes the focus on load
	// (autofocus), so start where a page without it starts, before the
	// first element, as focusRingProblems does.
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		document.body.tabIndex = -1;
		document.body.focus();
		document.body.removeAttribute("tabindex");
	})()`)))
	must(t, chromedp.Do(ctx, press(kb.Tab)))
	expectFocus(t, ctx, "a.skip-link", "the first Tab")
	if got := text(t, ctx, "a.skip-link"); got != "Skip to content" {
		t.Errorf("the skip link says %q", got)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`(r => r.top >= 0 && r.bottom <= innerHeight && r.width > 0)(document.activeElement.getBoundingClientRect())`))
	must(t, err)
	if !shown {
		t.Error("the focused skip link is not on the screen")
	}
	must(t, chromedp.Do(ctx, press(kb.Enter)))
	if !focusMatches(t, ctx, "main#main") {
		t.Fatalf("Enter on the skip link leaves the focus on %s, not <main id=main>", focused(t, ctx))
	}

	// "/" goes to the search; typing searches; the arrows move through
	// the hits and back to the field.
	must(t, chromedp.Do(ctx, press("/")))
	expectFocus(t, ctx, "#q", `"/"`)
	must(t, chromedp.Do(ctx,
		press("adele"),
		until(`!document.querySelector("form.search.htmx-request") && !document.querySelector("#results[aria-busy]") &&
			document.querySelector("#q").value === "adele" && location.search.includes("q=adele") &&
			document.querySelectorAll("#results .hits a").length >= 2`),
	))
	hits, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#results .hits a")].map(a => a.textContent.trim())`))
	must(t, err)
	if hits[0] != "Adele Vance" {
		t.Fatalf("the first hit is %q, want Adele Vance", hits[0])
	}
	// hitAt checks that the focus is on the i-th hit (people, then devices).
	hitAt := func(i int, what string) {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`document.activeElement === document.querySelectorAll("#results .hits a")[`+strconv.Itoa(i)+`]`))
		must(t, err)
		if !ok {
			t.Fatalf("%s: focus is on %s, want hit %d (%q)", what, focused(t, ctx), i+1, hits[i])
		}
		if why := ringProblem(t, ctx); why != "" {
			t.Errorf("%s: hit %d has no visible focus ring: %s", what, i+1, why)
		}
	}
	must(t, chromedp.Do(ctx, press(kb.ArrowDown)))
	hitAt(0, "ArrowDown from the field")
	must(t, chromedp.Do(ctx, press(kb.ArrowDown)))
	hitAt(1, "a second ArrowDown")
	must(t, chromedp.Do(ctx, press(kb.ArrowUp)))
	hitAt(0, "ArrowUp from the second hit")
	must(t, chromedp.Do(ctx, press(kb.ArrowUp)))
	expectFocus(t, ctx, "#q", "ArrowUp from the first hit")
	must(t, chromedp.Do(ctx, press(kb.ArrowDown)))
	hitAt(0, "ArrowDown from the field again")
	must(t, chromedp.Do(ctx,
		press(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-name]")),
	))
	if got, want := location(t, ctx), stack.PortalURL+"/users/"+adele.ID; got != want {
		t.Fatalf("Enter on the first hit opened %s, want %s", got, want)
	}

	// Tab through Adele's page to her iPhone's button.
	tabTo(t, ctx, button, 60, "Adele's page")
	if got := text(t, ctx, button); got != "Request assistance" {
		t.Fatalf("the button says %q", got)
	}

	// Enter requests assistance. The outcome refreshes itself every 2 s;
	// its live region says each phase once: accepted, then ready.
	watchAnnouncements(t, ctx, block)
	must(t, chromedp.Do(ctx,
		press(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(outcome+" [data-testid=request][data-phase=accepted]")),
		until(`!document.querySelector(`+strconv.Quote(block+".htmx-request")+`)`),
	))
	// The button is disabled while the request is out: depending on how
	// long that is, Chromium drops the focus from it (and app.js puts it on
	// the outcome) or it never leaves the button.
	t.Logf("after the request the focus is on %s", focused(t, ctx))
	if focusMatches(t, ctx, outcome) {
		expectFocus(t, ctx, outcome+"[tabindex='-1']", "after the request")
	} else {
		expectFocus(t, ctx, button, "after the request")
	}
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(outcome+" [data-testid=request][data-phase=ready]"), chromedp.RetryInterval(100*time.Millisecond)),
		chromedp.Sleep(2500*time.Millisecond),
	))
	if now := focused(t, ctx); now == "<body>" {
		t.Fatal("while the outcome refreshed itself the focus fell to the page")
	}
	got := heard(t, ctx)
	accepted := 0
	for _, c := range got.Copies {
		if strings.HasPrefix(c, "accepted ") {
			accepted++
		}
	}
	if accepted < 2 {
		t.Fatalf("the outcome was not refreshed while accepted (copies: %q): the test proves nothing", got.Copies)
	}
	want := []string{"Intune accepted the request.", "Adele Vance accepted: the session is ready."}
	if strings.Join(got.Said, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the live region said %q over %d copies of the outcome, want %q", got.Said, len(got.Copies), want)
	}
	t.Logf("the live region said %q over copies %q", got.Said, got.Copies)
	if n := assistancePosts(stack); n != 1 {
		t.Fatalf("%d requestRemoteAssistance calls reached Graph, want 1", n)
	}

	// Enter again on the button: not sent again, and the notice offers
	// Request again, within reach of Tab.
	if !focusMatches(t, ctx, button) {
		must(t, chromedp.Do(ctx, press(kb.Tab, chromedp.ModifierShift)))
		expectFocus(t, ctx, button, "Shift+Tab from the outcome")
	}
	must(t, chromedp.Do(ctx,
		press(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(outcome+" [data-testid=duplicate]")),
		until(`!document.querySelector(`+strconv.Quote(block+".htmx-request")+`)`),
	))
	t.Logf("after a request not sent again the focus is on %s", focused(t, ctx))
	if now := focused(t, ctx); now == "<body>" {
		t.Fatal("after a request not sent again the focus fell to the page")
	}
	if said := heard(t, ctx).Said; len(said) != 3 || !strings.HasPrefix(said[2], "Not sent again: you requested assistance for this device") {
		t.Errorf("after a request not sent again the live region said %q", said)
	}
	again := outcome + " button[data-testid=request-again]"
	if !focusMatches(t, ctx, again) {
		tabTo(t, ctx, again, 20, "the notice")
	}
	dialog := outcome + " dialog[data-testid=again-dialog]"
	must(t, chromedp.Do(ctx, press(kb.Enter), chromedp.WaitVisible(chromedp.CSS(dialog+"[open]"))))
	expectFocus(t, ctx, dialog+" *", "the dialog opened")
	t.Logf("the dialog opens with the focus on %s", focused(t, ctx))
	must(t, chromedp.Do(ctx, press(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS(dialog))))
	expectFocus(t, ctx, again, "Escape")

	must(t, chromedp.Do(ctx, press(kb.Enter), chromedp.WaitVisible(chromedp.CSS(dialog+"[open]"))))
	confirm := dialog + " button[data-testid=confirm-again]"
	if !focusMatches(t, ctx, confirm) {
		tabTo(t, ctx, confirm, 5, "the dialog")
	} else {
		expectFocus(t, ctx, confirm, "the dialog opened again")
	}
	first := heard(t, ctx).Copies[0]
	must(t, chromedp.Do(ctx,
		press(kb.Enter),
		chromedp.WaitNotPresent(chromedp.CSS(outcome+" [data-testid=duplicate]")),
		chromedp.WaitVisible(chromedp.CSS(outcome+" [data-testid=request][data-phase=accepted]")),
	))
	if id := "accepted " + attr(t, ctx, outcome+" [data-testid=request]", "data-attempt-id"); id == first {
		t.Fatalf("after Request again the device still shows the first request (%s)", id)
	}
	t.Logf("after Request again the focus is on %s", focused(t, ctx))
	if now := focused(t, ctx); now == "<body>" {
		t.Error("after Request again the focus fell to the page")
	}
	if n := assistancePosts(stack); n != 2 {
		t.Fatalf("%d requestRemoteAssistance calls reached Graph, want 2", n)
	}
	t.Logf("keyboard only, in %s", time.Since(start).Round(100*time.Millisecond))
}
