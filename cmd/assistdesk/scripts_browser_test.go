package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserScriptsToRoute4 walks scripts → a failed run → its device's
// apps → a device with that app → Request assistance, which Graph gets on
// route 4; with route 4 refused as a route, it gets one route-2 call.
func TestBrowserScriptsToRoute4(t *testing.T) {
	chromiumPath(t)
	for _, refuse := range []bool{false, true} {
		name := map[bool]string{false: "route 4", true: "route 4 refused"}[refuse]
		t.Run(name, func(t *testing.T) {
			opts := demoOptions{}
			if refuse {
				opts.RefuseRoutes = []int{4}
			}
			stack := launchDemo(t, opts)
			ctx := newBrowser(t)
			signInAs(t, ctx, stack.PortalURL+"/scripts", "harper")
			must(t, chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.CSS("[data-testid=script] a")),
				chromedp.Click(chromedp.CSS("[data-testid=script] a")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=run-apps]")),
				chromedp.Click(chromedp.CSS("[data-testid=run-apps]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=app] a")),
				chromedp.Click(chromedp.CSS("[data-testid=app] a")),
				chromedp.WaitVisible(chromedp.CSS("button[data-testid=assist]")),
			))
			deviceID, err := chromedp.Run(ctx, chromedp.Evaluate[string](
				`document.querySelector("button[data-testid=assist]").closest("[data-device-id]").dataset.deviceId`))
			must(t, err)
			must(t, chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("button[data-testid=assist]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=request][data-phase=accepted]")),
			))
			want := map[bool]int{false: 4, true: 2}[refuse]
			actions := stack.Graph.Actions()
			if len(actions) != 1 || actions[0].Route != want || actions[0].DeviceID != deviceID {
				t.Fatalf("Graph executed %+v, want one route-%d action on %s", actions, want, deviceID)
			}
		})
	}
}
