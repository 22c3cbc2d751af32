package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

func harperID(t *testing.T) string {
	t.Helper()
	for _, p := range devidp.DemoPeople() {
		if strings.HasPrefix(p.Username, "harper@") {
			return p.ObjectID
		}
	}
	t.Fatal("no Harper among the demo people")
	return ""
}

func TestBrowserRequestAssistance(t *testing.T) {
	chromiumPath(t)
	stack := launchDemo(t, demoOptions{Faults: graphsim.Faults{SessionDelay: time.Millisecond}})
	tenant := stack.Graph.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)

	ctx := newBrowser(t)
	signInAs(t, ctx, stack.PortalURL+"/", "harper")

	// Type: results appear as you type, without pressing Enter.
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=search-input]"), "adele"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-hit] a")),
	))
	if got := text(t, ctx, "[data-testid=user-hit] a"); got != "Adele Vance" {
		t.Fatalf("first hit %q", got)
	}
	screenshot(t, ctx, "search-results.png")
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-testid=user-hit] a")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=user-name]")),
	))
	device := tenant.DevicesOfUser(adele.ID)[0]
	button := "[data-device-id='" + device.ID + "'] button[data-testid=assist]"
	outcome := "[data-device-id='" + device.ID + "'] [data-testid=request]"
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(outcome)),
	))
	if got := text(t, ctx, outcome); !strings.Contains(got, "Intune accepted the request") || !strings.Contains(got, "Company Portal") {
		t.Fatalf("outcome %q", got)
	}
	// The outcome keeps watching the device and shows the session once
	// Graph has it.
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(outcome+"[data-phase=ready] [data-testid=session-link]"))))
	screenshot(t, ctx, "assistance.png")

	actions := stack.Graph.Actions()
	issued := stack.IdP.LastAccessTokenID(harperID(t))
	if len(actions) != 1 || actions[0].Route != 1 || actions[0].DeviceID != device.ID {
		t.Fatalf("Graph executed %+v, want one route-1 action on %s", actions, device.ID)
	}
	if actions[0].TokenID == "" || actions[0].TokenID != issued {
		t.Fatalf("the action carried token %q, not the one issued in this browser's sign-in (%q)", actions[0].TokenID, issued)
	}

	// The device page asks on route 2; a double click sends one request,
	// because the button is disabled while its request is in flight.
	other := tenant.DevicesOfUser(adele.ID)[1]
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(stack.PortalURL+"/devices/"+other.ID+"?ticket=INC-42"),
		chromedp.DoubleClick(chromedp.CSS("button[data-testid=assist]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=request][data-phase=accepted]")),
	))
	actions = stack.Graph.Actions()
	if len(actions) != 2 || actions[1].Route != 2 || actions[1].DeviceID != other.ID || actions[1].TokenID != issued {
		t.Fatalf("after the device page: %+v, want a second action on route 2 for %s", actions, other.ID)
	}

	// An auditor finds that request by its ticket.
	auditor := newBrowser(t)
	signInAs(t, auditor, stack.PortalURL+"/", "avery")
	must(t, chromedp.Do(auditor,
		chromedp.WaitVisible(chromedp.CSS("[data-testid=filter-ticket]")),
		chromedp.SendKeys(chromedp.CSS("[data-testid=filter-ticket]"), "INC-42"),
		chromedp.Click(chromedp.CSS("[data-testid=apply-filter]")),
		// The unfiltered trail is on screen before the filter applies: wait
		// for the filtered page, whose field carries the value in its markup.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-ticket][value="INC-42"]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=attempt]")),
	))
	rows, err := chromedp.Run(auditor, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=attempt]")].map(r => r.innerText)`))
	must(t, err)
	if len(rows) != 1 || !strings.Contains(rows[0], other.DeviceName) || !strings.Contains(rows[0], "Harper Helpdesk") ||
		!strings.Contains(rows[0], "INC-42") || !strings.Contains(rows[0], "Succeeded") || !strings.Contains(rows[0], "Adele Vance") {
		t.Fatalf("the auditor's trail filtered by INC-42 shows %q", rows)
	}
	screenshot(t, auditor, "audit.png")
}
