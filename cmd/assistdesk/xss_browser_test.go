package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// TestBrowserHostileTenantRendersInert fills the tenant with names that
// are script, event handlers and htmx attributes, walks search, user and
// device pages in Chromium, and checks that nothing ran and nothing fired.
func TestBrowserHostileTenantRendersInert(t *testing.T) {
	chromiumPath(t)
	tenant := graphsim.HostileTenant(time.Now())
	stack := launchDemo(t, demoOptions{Tenant: tenant})

	var victim graphsim.User
	for _, u := range tenant.Users {
		if strings.HasPrefix(u.DisplayName, "Hostile ") {
			victim = u
			break
		}
	}
	device := tenant.DevicesOfUser(victim.ID)[0]

	ctx := newBrowser(t)
	signInAs(t, ctx, stack.PortalURL+"/", "harper")
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=search-input]"), "hostile"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-hit] a")),
	))
	hits, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results")))
	must(t, err)
	if !strings.Contains(hits, "<script>") {
		t.Fatalf("the hostile names are not shown as text: %q", hits)
	}
	assertInert(t, ctx, "search")

	for page, heading := range map[string]string{
		"/users/" + victim.ID:   "[data-device-id='" + device.ID + "'] h3",
		"/devices/" + device.ID: "h1",
	} {
		must(t, chromedp.Do(ctx,
			chromedp.Navigate(stack.PortalURL+page),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=device]")),
		))
		name, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(heading)))
		must(t, err)
		if name != device.DeviceName {
			t.Errorf("%s: device name shown as %q, want the payload as text %q", page, name, device.DeviceName)
		}
		assertInert(t, ctx, page)
	}
	screenshot(t, ctx, "hostile.png")
}

// assertInert checks that no payload ran: no flag set, no request for a
// payload's URL, no element or script but the portal's own.
func assertInert(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	// Give load-triggered htmx attributes and image loads a moment to fire.
	must(t, chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		xss: typeof window.__xss,
		fired: performance.getEntriesByType("resource").map(e => e.name).filter(n => n.includes("xss-fired")),
		scripts: document.scripts.length,
		injected: document.querySelectorAll("main img, main svg, main [hx-get]:not(form), main [onerror], main a[href^='javascript']").length
	})`))
	must(t, err)
	if state != `{"xss":"undefined","fired":[],"scripts":2,"injected":0}` {
		t.Fatalf("%s: a payload took effect: %s", where, state)
	}
}
