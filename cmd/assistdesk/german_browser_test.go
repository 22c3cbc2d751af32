package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// acceptLanguage makes the browser ask for pages in these languages, as a
// browser set to German does.
func acceptLanguage(header string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": header}})
		return err
	})
}

// A German browser gets the portal in German from the first page, times
// written the German way; the header's switch changes the language on
// the same page, and back.
func TestBrowserInGerman(t *testing.T) {
	chromiumPath(t)
	stack := launchDemo(t, demoOptions{Faults: graphsim.Faults{SessionDelay: time.Millisecond}})
	tenant := stack.Graph.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	device := tenant.DevicesOfUser(adele.ID)[0]

	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, acceptLanguage("de-DE,de;q=0.9,en;q=0.5"),
		chromedp.Navigate(stack.PortalURL+"/"), chromedp.WaitVisible(chromedp.CSS("[data-testid=sign-in]"))))
	if got := text(t, ctx, "h1"); got != "Anmelden" {
		t.Fatalf("the sign-in page of a German browser says %q", got)
	}
	signInAs(t, ctx, stack.PortalURL+"/", "harper")
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=search-input]"), "adele"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-hit] a")),
	))
	if got := text(t, ctx, "#results h2"); got != "Personen" {
		t.Errorf("the results' first heading is %q", got)
	}
	screenshot(t, ctx, "de-search-results.png")

	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=user-hit] a")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-name]")),
	))
	page := location(t, ctx)
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	must(t, err)
	if lang != "de" {
		t.Fatalf("<html lang=%q> on the user page", lang)
	}
	card := "[data-device-id='" + device.ID + "']"
	if got := text(t, ctx, card+" button[data-testid=assist]"); got != "Remoteunterstützung anfordern" {
		t.Errorf("the button says %q", got)
	}
	germanTime := regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} \S+$`)
	if got := text(t, ctx, card+" [data-testid=last-sync] time"); !germanTime.MatchString(got) {
		t.Errorf("the last check-in is written %q, not the German way", got)
	}
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(card+" button[data-testid=assist]")),
		chromedp.WaitVisible(chromedp.CSS(card+" [data-testid=request][data-phase=ready] [data-testid=session-link]")),
	))
	if got := text(t, ctx, card+" [data-testid=session-link]"); got != "TeamViewer-Sitzung öffnen" {
		t.Errorf("the session link says %q", got)
	}
	screenshot(t, ctx, "de-assistance.png")

	// The switch: the same page in English, then German again.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=language-en]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=language-de]")),
	))
	if at := location(t, ctx); !strings.HasPrefix(at, page) {
		t.Errorf("after the switch the browser is at %q, not back on %q", at, page)
	}
	if got := text(t, ctx, card+" [data-testid=request] .headline"); !strings.Contains(got, "the session is ready") {
		t.Errorf("after choosing English the request says %q", got)
	}
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=language-de]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=language-en]")),
	))
	if got := text(t, ctx, card+" [data-testid=request] .headline"); !strings.Contains(got, "Die Sitzung ist bereit") {
		t.Errorf("after choosing German again the request says %q", got)
	}
}
