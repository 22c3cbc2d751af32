package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// disableScripts turns off JavaScript in the tab, for every page it loads
// from now on, as a browser with JavaScript switched off does.
func disableScripts() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

// scriptsOff fails the test when the page the browser shows ran its
// scripts: app.js marks <html> with the class "js" first thing, and htmx
// defines window.htmx. (The DevTools protocol still evaluates this.)
func scriptsOff(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[document.documentElement.classList.contains("js") && "app.js", typeof window.htmx !== "undefined" && "htmx"].filter(Boolean).join(", ")`))
	must(t, err)
	if ran != "" {
		t.Fatalf("%s: scripts ran (%s) although JavaScript is off", page, ran)
	}
}

// visible reports whether the first element sel matches is rendered.
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(sel)+`)?.checkVisibility()`))
	must(t, err)
	return v
}

// A technician whose browser runs no JavaScript: every step is a plain
// form or link, and requesting assistance, its outcome, a request not
// sent again and Request again all work, in English and in German.
func TestBrowserWithoutJavaScript(t *testing.T) {
	chromiumPath(t)
	start := time.Now()
	stack := launchDemo(t, demoOptions{Faults: graphsim.Faults{SessionDelay: time.Millisecond}})
	adele, _ := stack.Graph.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	phone := adelesPhone(t, stack.Graph.Tenant())
	block := "#assist-" + phone.ID
	button := block + " button[data-testid=assist]"
	request := block + " [data-testid=request]"

	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, disableScripts()))
	// The portal's sign-in page and the demo provider's are plain forms.
	signInAs(t, ctx, stack.PortalURL+"/", "harper")
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#q"))))
	scriptsOff(t, ctx, "the search page")
	if visible(t, ctx, "[data-testid=searching]") {
		t.Error("the search page says it is searching although nothing searches")
	}

	// Enter submits the search as a plain GET to /search.
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "adele\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-hit] a")),
	))
	if got, want := location(t, ctx), stack.PortalURL+"/search?q=adele"; got != want {
		t.Fatalf("the search went to %s, want %s", got, want)
	}
	scriptsOff(t, ctx, "the search results")
	if visible(t, ctx, "[data-testid=searching]") {
		t.Error("the search results say they are still searching")
	}
	if got := text(t, ctx, "[data-testid=user-hit] a"); got != "Adele Vance" {
		t.Fatalf("the first hit is %q, want Adele Vance", got)
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#q"))); err != nil || v != "adele" {
		t.Errorf("the results page's search field holds %q (%v), want adele", v, err)
	}

	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=user-hit] a")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-name]")),
	))
	userPage := stack.PortalURL + "/users/" + adele.ID
	if got := location(t, ctx); got != userPage {
		t.Fatalf("the hit opened %s, want %s", got, userPage)
	}
	scriptsOff(t, ctx, "Adele's page")
	// The link for a ticket is a field to copy by hand; the copy button,
	// which needs the script, is not shown.
	if !visible(t, ctx, "[data-testid=ticket-link-field]") {
		t.Error("without JavaScript the ticket link field is not shown")
	}
	link, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("[data-testid=ticket-link-field]")))
	must(t, err)
	if want := userPage + "?ticket=TICKET"; link != want {
		t.Errorf("the ticket link field holds %q, want %q", link, want)
	}
	if count(t, ctx, "[data-testid=ticket-link-field][readonly]") != 1 {
		t.Error("the ticket link field is not read-only")
	}
	if visible(t, ctx, "[data-testid=ticket-link]") {
		t.Error("without JavaScript the page shows the Copy link button, which cannot work")
	}

	// Request assistance: the form posts, and the answer (303) returns to
	// the device's card, which shows the request from the audit trail.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(request)),
	))
	if got, want := location(t, ctx), userPage+"#assist-"+phone.ID; got != want {
		t.Fatalf("after the request the browser is at %s, want %s", got, want)
	}
	scriptsOff(t, ctx, "Adele's page after the request")
	phase := attr(t, ctx, request, "data-phase")
	if phase != "accepted" && phase != "ready" {
		t.Fatalf("after the request the device shows a %q request, want accepted or ready", phase)
	}
	if got := text(t, ctx, request+" .headline"); got != "Intune accepted the request." && got != "Adele Vance accepted: the session is ready." {
		t.Errorf("the outcome's headline is %q", got)
	}
	firstAttempt := attr(t, ctx, request, "data-attempt-id")
	// Details for support open without a script; their copy button needs
	// one, and is not shown: the details are text to select by hand.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(request+" [data-testid=support] summary")),
		chromedp.WaitVisible(chromedp.CSS(request+" [data-testid=support] [data-testid=attempt-id]")),
	))
	if got := text(t, ctx, request+" [data-testid=attempt-id]"); got != firstAttempt {
		t.Errorf("the details for support name attempt %q, want %q", got, firstAttempt)
	}
	if visible(t, ctx, request+" [data-testid=copy-support]") {
		t.Error("without JavaScript the details for support show a Copy details button, which cannot work")
	}
	if n := assistancePosts(stack); n != 1 {
		t.Fatalf("%d requestRemoteAssistance calls reached Graph, want 1", n)
	}
	// Nothing refreshes without JavaScript: the request's own page looks
	// at the device, as the polling would, and shows the session link.
	if phase == "accepted" {
		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(request+" [data-testid=look-again]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=outcome] [data-testid=request]")),
		))
		scriptsOff(t, ctx, "the request's own page")
		if got := text(t, ctx, "h1"); !strings.Contains(got, phone.DeviceName) {
			t.Errorf("the request's own page is headed %q", got)
		}
		if !visible(t, ctx, "[data-testid=outcome] [data-testid=session-link]") {
			t.Fatalf("the request's own page shows no session link: %s", text(t, ctx, "[data-testid=outcome]"))
		}
		must(t, chromedp.Do(ctx, chromedp.Navigate(userPage), chromedp.WaitVisible(chromedp.CSS(request))))
	}

	// A second click is not sent again; the answer names the refusal, and
	// the device offers Request again.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(block+" [data-testid=duplicate]")),
	))
	refusedAt := regexp.MustCompile(`^` + regexp.QuoteMeta(userPage) + `\?refused=[0-9a-f-]{36}#assist-` + regexp.QuoteMeta(phone.ID) + `$`)
	if got := location(t, ctx); !refusedAt.MatchString(got) {
		t.Fatalf("after a request not sent again the browser is at %s, want %s?refused=<id>#assist-%s", got, userPage, phone.ID)
	}
	scriptsOff(t, ctx, "Adele's page after a request not sent again")
	if got := text(t, ctx, block+" [data-testid=duplicate] > .headline"); !strings.HasPrefix(got, "Not sent again: you requested assistance for this device") {
		t.Errorf("the duplicate notice says %q", got)
	}
	if n := assistancePosts(stack); n != 1 {
		t.Fatalf("a request not sent again reached Graph: %d requestRemoteAssistance calls, want 1", n)
	}
	again := block + " button[data-testid=request-again]"
	if !visible(t, ctx, again) {
		t.Fatal("the duplicate notice does not offer Request again")
	}
	if got := text(t, ctx, again); got != "Request again…" {
		t.Errorf("the Request again button says %q", got)
	}

	// Request again opens its dialog by an invoker command, which needs no
	// script.
	dialog := block + " dialog[data-testid=again-dialog]"
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(again))))
	opened, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = chromedp.Do(opened, chromedp.WaitVisible(chromedp.CSS(dialog+"[open]")))
	cancel()
	if err != nil {
		t.Fatalf("without JavaScript, Request again… does not open its dialog (commandfor/command=show-modal): %v", err)
	}
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(dialog+" button[data-testid=confirm-again]")),
		chromedp.WaitNotPresent(chromedp.CSS(block+" [data-testid=duplicate]")),
		chromedp.WaitVisible(chromedp.CSS(request)),
	))
	if got, want := location(t, ctx), userPage+"#assist-"+phone.ID; got != want {
		t.Fatalf("after Request again the browser is at %s, want %s", got, want)
	}
	scriptsOff(t, ctx, "Adele's page after Request again")
	if n := assistancePosts(stack); n != 2 {
		t.Fatalf("%d requestRemoteAssistance calls reached Graph, want 2", n)
	}
	if id := attr(t, ctx, request, "data-attempt-id"); id == firstAttempt || id == "" {
		t.Fatalf("after Request again the device shows request %q, the first was %q", id, firstAttempt)
	}
	if phase := attr(t, ctx, request, "data-phase"); phase != "accepted" && phase != "ready" {
		t.Fatalf("after Request again the device shows a %q request", phase)
	}
	if got := text(t, ctx, request+" .meta"); !strings.HasPrefix(got, "Requested by you") {
		t.Errorf("after Request again the request says %q", got)
	}

	// German, from the header's link, still without JavaScript.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=language-de]")),
		chromedp.WaitVisible(chromedp.CSS("html[lang=de] [data-testid=user-name]")),
	))
	if got := location(t, ctx); !strings.HasPrefix(got, userPage) {
		t.Fatalf("the language switch returned to %s, want Adele's page", got)
	}
	scriptsOff(t, ctx, "Adele's page in German")
	for sel, want := range map[string]string{
		"a.skip-link": "Zum Inhalt springen",
		button:        "Remoteunterstützung anfordern",
	} {
		if got := text(t, ctx, sel); got != want {
			t.Errorf("in German %s says %q, want %q", sel, got, want)
		}
	}
	t.Logf("without JavaScript, in %s", time.Since(start).Round(100*time.Millisecond))
}
