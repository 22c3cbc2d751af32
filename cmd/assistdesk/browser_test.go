package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// chromiumPath finds Debian's Chromium. Without it the browser tests skip,
// except under CI=true, where a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI=true forbids skipping")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium (make test does this as root)")
	return ""
}

// newBrowser starts a fresh headless Chromium with its own profile, so each
// call is a new person with no cookies. It is closed after a minute.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 60*time.Second)
}

// newBrowserFor is newBrowser for a test that walks longer than a minute:
// the browser is closed after d.
func newBrowserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	must(t, err)
	return s
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err)
	return s
}

// signInAs opens url signed out, clicks Sign in on the portal's sign-in
// page and picks a person on the provider's page.
func signInAs(t *testing.T, ctx context.Context, url, person string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=sign-in]")),
		chromedp.Click(chromedp.CSS("[data-testid=sign-in]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=pick-"+person+"]")),
		chromedp.Click(chromedp.CSS("[data-testid=pick-"+person+"]")),
	))
}

// screenshot saves a PNG (quality 100 makes chromedp choose PNG); make screenshots points ASSISTDESK_SCREENSHOT_DIR
// at docs/ for the README.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ASSISTDESK_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

// launchDemo starts the demo stack as `assistdesk demo` does, keeping the
// handles on its provider and Graph simulator for the assertions.
func launchDemo(t *testing.T, opts demoOptions) *demoStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	opts.Addr = "127.0.0.1:0"
	var logs lockedBuffer
	stack, err := startDemo(ctx, opts, func(string) string { return "" }, &logs)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := stack.Wait(); err != nil {
			t.Errorf("demo did not stop cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	return stack
}

func TestBrowserSignInDeepLinkAndNotAuthorised(t *testing.T) {
	chromiumPath(t)
	base := launchDemo(t, demoOptions{}).PortalURL

	t.Run("technician signs in and out", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, base+"/", "harper")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]"))))
		if got := text(t, ctx, "[data-testid=technician]"); got != "Harper Helpdesk" {
			t.Fatalf("signed in as %q", got)
		}
		if got := location(t, ctx); got != base+"/" {
			t.Fatalf("landed on %s, want %s/", got, base)
		}
		screenshot(t, ctx, "search.png")

		must(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("[data-testid=sign-out]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=signed-out]")),
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=sign-in]")),
		))
	})

	t.Run("deep link survives sign-in", func(t *testing.T) {
		ctx := newBrowser(t)
		deepLink := base + "/?q=adele&ticket=INC-1"
		signInAs(t, ctx, deepLink, "lee")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("[data-testid=search-input]"))))
		if got := location(t, ctx); got != deepLink {
			t.Fatalf("landed on %s, want %s", got, deepLink)
		}
		q, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("[data-testid=search-input]")))
		must(t, err)
		if q != "adele" {
			t.Fatalf("search field holds %q, want adele", q)
		}
		if got := text(t, ctx, "[data-testid=ticket]"); !strings.Contains(got, "INC-1") {
			t.Fatalf("ticket shows %q", got)
		}
	})

	t.Run("person without a role is told which role", func(t *testing.T) {
		ctx := newBrowser(t)
		signInAs(t, ctx, base+"/", "sam")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("[data-testid=problem]"))))
		got := text(t, ctx, "[data-testid=problem]")
		for _, want := range []string{"Not authorised", "Sam Sales", "Assistdesk.Technician"} {
			if !strings.Contains(got, want) {
				t.Errorf("the page does not say %q:\n%s", want, got)
			}
		}
		screenshot(t, ctx, "not-authorised.png")
	})
}

// adelesPhone is Adele Vance's iPhone in the demo tenant.
func adelesPhone(t *testing.T, tenant *graphsim.Tenant) graphsim.ManagedDevice {
	t.Helper()
	adele, _ := tenant.UserByUPN(graphsim.DemoAdeleUPN)
	for _, d := range tenant.DevicesOfUser(adele.ID) {
		if d.OperatingSystem == "iOS" {
			return d
		}
	}
	t.Fatal("Adele has no iPhone in the demo tenant")
	return graphsim.ManagedDevice{}
}
