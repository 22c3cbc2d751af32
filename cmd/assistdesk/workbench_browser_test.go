package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// attr reads one attribute of the first element sel matches, "" when
// it has none.
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector(`+strconv.Quote(sel)+`)?.getAttribute(`+strconv.Quote(name)+`)) ?? ""`))
	must(t, err)
	return v
}

// count is how many elements sel matches.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	must(t, err)
	return n
}

// A technician with a caller on the line, while Graph is slow, throttles
// or does not answer: what they see must say what is going on, and must not
// go away when they reload or move on.
func TestBrowserWorkbench(t *testing.T) {
	chromiumPath(t)
	stack := launchDemo(t, demoOptions{})
	tenant := stack.Graph.Tenant()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	userPage := stack.PortalURL + "/users/" + adele.ID
	var android, laptop, phone graphsim.ManagedDevice
	for _, d := range tenant.DevicesOfUser(adele.ID) {
		switch {
		case strings.HasPrefix(d.DeviceEnrollmentType, "androidEnterprise"):
			android = d
		case d.OperatingSystem == "Windows":
			laptop = d
		case d.OperatingSystem == "iOS":
			phone = d
		}
	}
	if android.ID == "" || laptop.ID == "" || phone.ID == "" {
		t.Fatal("Adele has no corporate Android device, Windows PC and iPhone in the demo tenant")
	}
	card := func(d graphsim.ManagedDevice) string { return "[data-device-id='" + d.ID + "']" }

	t.Run("a throttled request holds the button and survives reload and navigation", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, userPage, "harper")
		must(t, stack.Graph.ThrottleMethod(http.MethodPost, 2, time.Second))
		button := card(phone) + " button[data-testid=assist]"
		request := card(phone) + " [data-testid=request]"
		must(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(button)),
			chromedp.Click(chromedp.CSS(button)),
			chromedp.WaitVisible(chromedp.CSS(request+"[data-phase=retrying]")),
		))
		disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(button)+`).disabled`))
		must(t, err)
		if got := text(t, ctx, button); got != "Request under way…" || !disabled {
			t.Fatalf("while the request is live the button says %q, disabled %v", got, disabled)
		}
		if got := text(t, ctx, request); !strings.Contains(got, "throttling") || !strings.Contains(got, "tries again") {
			t.Fatalf("the throttled request says %q", got)
		}
		screenshot(t, ctx, "throttled.png")
		// A reload shows the same live request, from the audit trail.
		must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(request))))
		if phase := attr(t, ctx, request, "data-phase"); phase != "retrying" && phase != "sending" && phase != "accepted" && phase != "ready" {
			t.Fatalf("after a reload the request is %q", phase)
		}
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(request+"[data-phase=ready] [data-testid=session-link]"))))
		if got := text(t, ctx, button); got != "Request assistance" {
			t.Fatalf("once the request is answered the button says %q", got)
		}
		attempt := attr(t, ctx, request, "data-attempt-id")
		// The device's own page, opened afterwards, shows the same request.
		must(t, chromedp.Do(ctx,
			chromedp.Navigate(stack.PortalURL+"/devices/"+phone.ID),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=request][data-phase=ready]")),
		))
		if got := attr(t, ctx, "[data-testid=request]", "data-attempt-id"); got != attempt {
			t.Fatalf("the device page shows attempt %q, the user page %q", got, attempt)
		}
		if n := len(stack.Graph.Actions()); n != 1 {
			t.Fatalf("%d actions, want 1", n)
		}
	})

	t.Run("a second technician's click follows the live request, then asks again in a dialog", func(t *testing.T) {
		must(t, stack.Graph.ThrottleMethod(http.MethodPost, 2, time.Second))
		harper := newBrowser(t)
		signInAs(t, harper, userPage, "harper")
		lee := newBrowser(t)
		signInAs(t, lee, userPage, "lee")
		button := card(laptop) + " button[data-testid=assist]"
		// Lee's page is open before Harper asks, so its button is not held.
		must(t, chromedp.Do(lee, chromedp.WaitVisible(chromedp.CSS(button))))
		must(t, chromedp.Do(harper,
			chromedp.WaitVisible(chromedp.CSS(button)),
			chromedp.Click(chromedp.CSS(button)),
			chromedp.WaitVisible(chromedp.CSS(card(laptop)+" [data-testid=request][data-live]")),
		))
		must(t, chromedp.Do(lee,
			chromedp.Click(chromedp.CSS(button)),
			chromedp.WaitVisible(chromedp.CSS(card(laptop)+" [data-testid=duplicate]")),
		))
		duplicate := card(laptop) + " [data-testid=duplicate]"
		if got := text(t, lee, duplicate); !strings.Contains(got, "Harper Helpdesk requested assistance") {
			t.Fatalf("the duplicate notice says %q", got)
		}
		if count(t, lee, duplicate+" [data-testid=request][data-live]") == 1 {
			if visible, _ := chromedp.Run(lee, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=request-again]").offsetParent`)); visible {
				t.Fatal("Request again is offered while the earlier request is still under way")
			}
		}
		// The notice follows the earlier request to its end.
		must(t, chromedp.Do(lee,
			chromedp.WaitVisible(chromedp.CSS(duplicate+" [data-testid=request][data-phase=ready]")),
			chromedp.Click(chromedp.CSS(duplicate+" [data-testid=request-again]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=again-dialog]")),
		))
		screenshot(t, lee, "request-again.png")
		must(t, chromedp.Do(lee,
			chromedp.Click(chromedp.CSS("[data-testid=confirm-again]")),
			chromedp.WaitNotPresent(chromedp.CSS(duplicate)),
			chromedp.WaitVisible(chromedp.CSS(card(laptop)+" [data-testid=request][data-phase=accepted]")),
		))
		if got := text(t, lee, card(laptop)+" [data-testid=request] .meta"); !strings.HasPrefix(got, "Requested by you") {
			t.Fatalf("after Request again the device shows %q", got)
		}
		actions := 0
		for _, a := range stack.Graph.Actions() {
			if a.DeviceID == laptop.ID {
				actions++
			}
		}
		if actions != 2 {
			t.Fatalf("%d actions on the laptop, want Harper's and Lee's confirmed one", actions)
		}
	})

	t.Run("a request to a device that does not answer shows how long it has waited", func(t *testing.T) {
		lobby := tenant.Devices[len(tenant.Devices)-1]
		kiosk, _ := tenant.UserByUPN(graphsim.DemoKioskUPN)
		target := tenant.DevicesOfUser(kiosk.ID)[0]
		ctx := newBrowser(t)
		signInAs(t, ctx, stack.PortalURL+"/devices/"+target.ID, "harper")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("button[data-testid=assist]"))))
		// A device that answers after 4 s: long enough to watch the wait,
		// short enough that no request outlives the test's demo.
		stack.Graph.SetDeviceFault(target.ID, graphsim.Slow(4*time.Second))
		defer stack.Graph.SetDeviceFault(target.ID, graphsim.DeviceFault{})
		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("button[data-testid=assist]")),
			chromedp.WaitVisible(chromedp.CSS(".sending [data-elapsed]")),
			chromedp.Sleep(2500*time.Millisecond),
		))
		got := text(t, ctx, ".sending")
		if !strings.Contains(got, "Sending the request to Intune") || !strings.Contains(got, "2\u00a0s") && !strings.Contains(got, "3\u00a0s") {
			t.Fatalf("after 2.5 s of waiting the page says %q", got)
		}
		screenshot(t, ctx, "waiting.png")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("[data-testid=request][data-phase=accepted]"))))

		// A Windows PC enrolled without a user has no primary button: the
		// reason stands where it would be.
		must(t, chromedp.Do(ctx, chromedp.Navigate(stack.PortalURL+"/devices/"+lobby.ID), chromedp.WaitVisible(chromedp.CSS("[data-testid=blocked]"))))
		if lobby.UserID != "" || count(t, ctx, "button[data-testid=assist]") != 0 || !strings.Contains(text(t, ctx, "[data-testid=blocked]"), "without a user") {
			t.Fatalf("the lobby PC (%s) offers the primary button, or does not say why not", lobby.DeviceName)
		}
	})

	t.Run("a device that cannot take assistance says so, and Try anyway is honest", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, userPage, "harper")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(card(android)+" [data-testid=blocked]"))))
		if count(t, ctx, card(android)+" button[data-testid=assist]") != 0 ||
			!strings.Contains(text(t, ctx, card(android)+" [data-testid=blocked]"), "Android Enterprise") {
			t.Fatal("the corporate Android device offers the primary button, or does not say why not")
		}
		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(card(android)+" button[data-testid=try-anyway]")),
			chromedp.WaitVisible(chromedp.CSS(card(android)+" [data-testid=request][data-phase=notSupported]")),
		))
		if got := text(t, ctx, card(android)+" [data-testid=request]"); !strings.Contains(got, "not supported") {
			t.Fatalf("Try anyway ends with %q", got)
		}
	})

	t.Run("a script with 153 runs is a short page, summarised and filtered", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, stack.PortalURL+"/scripts", "harper")
		must(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS("[data-testid=script] a")),
			chromedp.Click(chromedp.CSS("[data-testid=script] a")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=run-summary]")),
		))
		if got := text(t, ctx, "[data-testid=state-all]"); !strings.Contains(got, "153") {
			t.Fatalf("the summary counts %q runs", got)
		}
		height, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
		must(t, err)
		if height > 6000 {
			t.Errorf("the script page is %d px high", height)
		}
		if state := attr(t, ctx, "[data-testid=run]", "data-state"); state != "fail" && state != "scriptError" {
			t.Errorf("the first run is %q, want a failure", state)
		}
		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("[data-testid=state-success]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=state-success][aria-current=page]")),
		))
		states, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=run]")].map(r => r.dataset.state)`))
		must(t, err)
		for _, s := range states {
			if s != "success" {
				t.Fatalf("filtered to succeeded runs, the page shows a %q run", s)
			}
		}
		if len(states) == 0 {
			t.Fatal("no succeeded run shown")
		}
		screenshot(t, ctx, "script.png")
	})

	t.Run("the audit trail names people and finds them by name", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, stack.PortalURL+"/audit", "avery")
		must(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS("[data-testid=filter-user]")),
			chromedp.SendKeys(chromedp.CSS("[data-testid=filter-user]"), "adele"),
			chromedp.Click(chromedp.CSS("[data-testid=apply-filter]")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-user][value="adele"]`)),
		))
		people, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=attempt] [data-testid=person]")].map(c => c.innerText)`))
		must(t, err)
		if len(people) == 0 {
			t.Fatal("filtering the person by 'adele' finds nothing")
		}
		for _, p := range people {
			if !strings.Contains(p, "Adele Vance") || !strings.Contains(p, "adele.vance@") {
				t.Fatalf("a row names the person %q", p)
			}
		}
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`(w => w.scrollWidth - w.clientWidth)(document.querySelector("[data-testid=attempts]").parentElement)`))
		must(t, err)
		if overflow > 0 {
			t.Errorf("the audit trail's table is %d px wider than its frame at 1280", overflow)
		}
		// An auditor's links narrow the trail; none leads to a page they may not see.
		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("[data-testid=attempt] [data-testid=device-cell] a")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=audit-filter]")),
		))
		if loc := location(t, ctx); !strings.Contains(loc, "/audit?device=") {
			t.Fatalf("the device link led to %s", loc)
		}
		screenshot(t, ctx, "audit-by-person.png")
	})

	t.Run("search shows that it is searching while Graph is slow", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, stack.PortalURL+"/", "harper")
		must(t, stack.Graph.SetLatency(1500*time.Millisecond, 0))
		defer stack.Graph.SetLatency(0, 0)
		must(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]")),
			chromedp.SendKeys(chromedp.CSS("[data-testid=search-input]"), "adele"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=searching]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=user-hit] a")),
			chromedp.WaitNotVisible(chromedp.CSS("[data-testid=searching]")),
		))
	})

	t.Run("a failed page says so in words, and Try again keeps the ticket", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, stack.PortalURL+"/", "harper")
		must(t, stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet, Rate: 1, Status: http.StatusServiceUnavailable}))
		// Harper saw this page a moment ago: only a fresh read asks Graph.
		must(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]")),
			chromedp.Navigate(userPage+"?ticket=INC-77&fresh=1"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=try-again]")),
		))
		// Graph answered 503: unavailable for a moment, not broken.
		if got := text(t, ctx, "h1"); got != "Temporarily unavailable" {
			t.Errorf("the failed page's heading is %q", got)
		}
		screenshot(t, ctx, "graph-failed.png")
		must(t, stack.Graph.SetFailRate(graphsim.FailRate{Method: http.MethodGet}))
		must(t, chromedp.Do(ctx,
			// Graph asked for a second's pause (Retry-After), and the
			// simulator, as Graph, refuses a retry that comes sooner.
			chromedp.Sleep(1100*time.Millisecond),
			chromedp.Click(chromedp.CSS("[data-testid=try-again]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=user-name]")),
		))
		if got := text(t, ctx, "[data-testid=ticket]"); !strings.Contains(got, "INC-77") {
			t.Fatalf("after Try again the ticket shows %q", got)
		}
	})
}
