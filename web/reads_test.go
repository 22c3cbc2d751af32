package web_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// behind is a clock some way behind the real one: what the cache reads on
// it looks that much older to the pages, which tell time by the real one.
type behind struct {
	mu sync.Mutex
	by time.Duration
}

func (b *behind) now() time.Time { b.mu.Lock(); defer b.mu.Unlock(); return time.Now().Add(-b.by) }
func (b *behind) set(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.by = d
}

// A technician's next pages reuse their own Graph reads: never another
// technician's, never past a sign-out, never once assistance is requested
// on a device they show; a page says how old what it shows is, and its
// Refresh reads anew; and where a request stands comes from the audit
// trail, whatever the cache holds.
func TestATechniciansReadsAreReusedByTheirOwnNextPagesOnly(t *testing.T) {
	clock := &behind{}
	s := newStackWith(t, stackOptions{readCacheClock: clock.now})
	s.sim.SetSessionDelay(0)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	page := "/users/" + adele.ID
	reads := func() int { return len(s.graphCalls("GET", "/beta/users/"+adele.ID+"/managedDevices")) }
	view := func(c *http.Client, path string) (calls int, freshness string) {
		t.Helper()
		before := reads()
		doc := document(t, get(t, c, s.portal.URL+path))
		if doc.Find("[data-testid=user-name]").Text() != "Adele Vance" {
			t.Fatalf("%s does not show Adele: %s", path, doc.Find("main").Text())
		}
		return reads() - before, strings.TrimSpace(doc.Find("[data-testid=freshness]").Text())
	}

	harper := s.signedIn(t)
	if n, _ := view(harper, page); n != 1 {
		t.Fatalf("the first view read the device list %d times", n)
	}
	if n, notice := view(harper, page); n != 0 || notice != "" {
		t.Fatalf("a second view a moment later read Graph %d times, notice %q", n, notice)
	}
	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	if n, _ := view(lee, page); n != 1 {
		t.Fatalf("another technician's view read Graph %d times: harper's answer was reused", n)
	}

	// Read 15 s ago: the page says so, and Refresh reads anew.
	clock.set(15 * time.Second)
	view(harper, page+"?fresh=1")
	clock.set(0)
	n, notice := view(harper, page)
	if n != 0 || !strings.Contains(notice, "15 seconds ago") {
		t.Fatalf("a view of a 15 s old answer: %d reads, notice %q", n, notice)
	}
	doc := document(t, get(t, harper, s.portal.URL+page))
	refresh := doc.Find("[data-testid=refresh]").AttrOr("href", "")
	if n, notice := view(harper, refresh); n != 1 || notice != "" || !strings.Contains(refresh, "fresh=1") {
		t.Fatalf("Refresh (%q) read Graph %d times and says %q", refresh, n, notice)
	}

	// A request for assistance on one of the page's devices: the next view
	// reads the devices anew.
	phone := supported(t, s.sim.Tenant(), 0)
	for _, d := range s.sim.Tenant().DevicesOfUser(adele.ID) {
		if d.OperatingSystem == "iOS" {
			phone = d
		}
	}
	answer := document(t, s.assist(t, harper, page+"/devices/"+phone.ID+"/assistance", nil))
	watch := answer.Find("[data-testid=request]").AttrOr("hx-get", "")
	if n, _ := view(harper, page); n != 1 {
		t.Fatalf("after a request on one of its devices the page read Graph %d times, want 1", n)
	}
	// The device becomes ready (the watch records it in the audit trail);
	// the page, answered from the cache, shows it all the same.
	get(t, harper, s.portal.URL+watch, "HX-Request", "true").Body.Close()
	doc = document(t, get(t, harper, s.portal.URL+page))
	if got := doc.Find("[data-device-id='"+phone.ID+"'] [data-testid=request]").AttrOr("data-phase", ""); got != "ready" {
		t.Fatalf("a page from the cache shows the request as %q, want ready (from the audit trail)", got)
	}

	// Signed out and in again: nothing is reused.
	token := s.csrfToken(t, harper)
	resp := post(t, harper, s.portal.URL+"/logout", "X-CSRF-Token", token, "Content-Type", "application/x-www-form-urlencoded")
	resp.Body.Close()
	s.signIn(t, harper, "/", "harper")
	if n, _ := view(harper, page); n != 1 {
		t.Fatalf("after sign-out and in the page read Graph %d times: a read outlived the sign-out", n)
	}
}

// The device page a technician opens from their caller's page finds the
// device in the device list that page read: Intune is read for the
// device's users only. With Refresh, or for another technician, it is read.
func TestTheDevicePageAfterTheUserPageReusesItsDeviceList(t *testing.T) {
	s := newStackWith(t, stackOptions{readCacheClock: time.Now})
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	deviceReads := func() int { return len(s.graphCalls("GET", "/beta/deviceManagement/managedDevices/"+device.ID)) }
	open := func(c *http.Client, path string) int {
		t.Helper()
		before := deviceReads()
		doc := document(t, get(t, c, s.portal.URL+path))
		if name := doc.Find("h1").Text(); !strings.Contains(name, device.DeviceName) {
			t.Fatalf("%s shows %q, not %s", path, name, device.DeviceName)
		}
		return deviceReads() - before
	}
	harper := s.signedIn(t)
	get(t, harper, s.portal.URL+"/users/"+adele.ID).Body.Close()
	// One read of the device: its users (…/{id}/users), not the device.
	if n := open(harper, "/devices/"+device.ID); n != 1 {
		t.Fatalf("the device page after the user page read the device %d times, want only its users", n)
	}
	if n := open(harper, "/devices/"+device.ID+"?fresh=1"); n != 2 {
		t.Fatalf("Refresh read the device %d times, want the device and its users", n)
	}
	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	if n := open(lee, "/devices/"+device.ID); n != 2 {
		t.Fatalf("another technician's device page read %d times: harper's list was used", n)
	}
}
