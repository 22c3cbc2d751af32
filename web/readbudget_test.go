package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// intuneReads counts the reads of Intune that reached the simulator.
func (s *stack) intuneReads() int {
	n := 0
	for _, r := range s.sim.Requests() {
		if r.Method == http.MethodGet && graph.IsIntune(r.Path) {
			n++
		}
	}
	return n
}

// When the helpdesk's Intune reads for the window are spent, pages say so
// in words with when to try again, show what the directory still gives,
// and send Intune nothing it would throttle.
func TestPagesSayIntuneIsBusyWhenTheReadBudgetIsSpent(t *testing.T) {
	s := newStackWith(t, stackOptions{readBudget: 4})
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	phone := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	s.assist(t, c, "/users/"+adele.ID+"/devices/"+phone.ID+"/assistance", nil).Body.Close()
	device := s.sim.Tenant().Devices[3]
	var busy *http.Response
	for range 6 {
		resp := get(t, c, s.portal.URL+"/devices/"+device.ID+"?fresh=1")
		if resp.StatusCode == http.StatusServiceUnavailable {
			busy = resp
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("device page: status %d", resp.StatusCode)
		}
	}
	if busy == nil {
		t.Fatal("six fresh device pages on a budget of 4 reads never said Intune was busy")
	}
	retry, err := strconv.Atoi(busy.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 22 {
		t.Fatalf("Retry-After %q, want the seconds until a read slot frees", busy.Header.Get("Retry-After"))
	}
	doc := document(t, busy)
	if text := doc.Find("main").Text(); !strings.Contains(text, "Intune was not asked") || !strings.Contains(text, "Try again in") {
		t.Fatalf("the busy page says: %s", text)
	}
	if n := s.intuneReads(); n > 4 {
		t.Fatalf("%d Intune reads reached Graph on a budget of 4", n)
	}
	// The budget answered as designed: the log says so as a warning.
	for _, l := range strings.Split(s.logs.String(), "\n") {
		var line struct{ Level, Route string }
		if json.Unmarshal([]byte(l), &line) == nil && line.Route == "/devices/:deviceId" && strings.Contains(l, `"status":503`) && line.Level != "WARN" {
			t.Fatalf("a busy page was logged at %s, want WARN: %s", line.Level, l)
		}
	}

	// The user page still names the person (the directory is not Intune),
	// says why the devices are missing, and shows the request made on one
	// of them from the audit trail.
	user := get(t, c, s.portal.URL+"/users/"+adele.ID+"?fresh=1")
	page := document(t, user)
	if user.StatusCode != http.StatusOK || page.Find("[data-testid=user-name]").Text() != "Adele Vance" ||
		!strings.Contains(page.Find("main").Text(), "Intune was not asked") {
		t.Fatalf("user page with the budget spent: status %d: %s", user.StatusCode, page.Find("main").Text())
	}
	if requests := page.Find("[data-testid=user-requests]").Text(); !strings.Contains(requests, phone.DeviceName) {
		t.Fatalf("the user page with the budget spent does not show the request on %s: %q", phone.DeviceName, requests)
	}
	if retry := page.Find("[data-testid=devices-problem] [data-testid=retry-read]"); retry.AttrOr("href", "") != "/users/"+adele.ID+"?fresh=1" {
		t.Errorf("the devices' notice offers Try again at %q", retry.AttrOr("href", ""))
	}
	if notice := strings.TrimSpace(page.Find("[data-testid=devices-problem]").Text()); !strings.HasSuffix(notice, "s. Try again") {
		t.Errorf("the devices' notice reads %q", notice)
	}
	// So does the phone's own page, which cannot read the phone: it keeps
	// the busy answer (503, Retry-After) but names the phone and lists its
	// request, instead of an error page where the request vanished.
	own := get(t, c, s.portal.URL+"/devices/"+phone.ID+"?fresh=1")
	page = document(t, own)
	if own.StatusCode != http.StatusServiceUnavailable || own.Header.Get("Retry-After") == "" ||
		strings.TrimSpace(page.Find("h1").Text()) != phone.DeviceName ||
		!strings.Contains(page.Find("[data-testid=device-problem]").Text(), "Intune was not asked") {
		t.Fatalf("the phone's page with the budget spent: status %d, Retry-After %q: %s",
			own.StatusCode, own.Header.Get("Retry-After"), page.Find("main").Text())
	}
	if requests := page.Find("[data-testid=device-requests]").Text(); !strings.Contains(requests, phone.DeviceName) || !strings.Contains(requests, "Accepted by Intune") {
		t.Fatalf("the phone's page with the budget spent does not list its request: %q", requests)
	}
	if retry := page.Find("[data-testid=device-problem] [data-testid=retry-read]"); retry.AttrOr("href", "") != "/devices/"+phone.ID+"?fresh=1" {
		t.Errorf("the phone's notice offers Try again at %q", retry.AttrOr("href", ""))
	}
	if n := s.intuneReads(); n > 4 {
		t.Fatalf("%d Intune reads reached Graph on a budget of 4", n)
	}
}

// The watch after a 204 reads in the background: it stops short of the
// budget's reserve, so the last reads are for someone waiting, and the
// request stands as recorded meanwhile.
func TestTheWatchLeavesTheReserveToPages(t *testing.T) {
	s := newStackWith(t, stackOptions{readBudget: 8})
	s.sim.SetSessionDelay(time.Minute)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[5]
	doc := document(t, s.assist(t, c, "/devices/"+device.ID+"/assistance", nil))
	status := doc.Find("[data-testid=request]").AttrOr("hx-get", "")
	if status == "" {
		t.Fatalf("the request does not watch the device: %s", doc.Text())
	}
	page := s.portal.URL + "/devices/" + device.ID + "?fresh=1"
	for s.intuneReads() < 6 {
		if resp := get(t, c, page); resp.StatusCode != http.StatusOK {
			t.Fatalf("a page within the background share: status %d", resp.StatusCode)
		}
	}
	looks := func() int {
		n := 0
		for _, r := range s.graphCalls(http.MethodGet, "/beta/deviceManagement/managedDevices/"+device.ID) {
			if strings.Contains(r.RawQuery, "remoteAssistance") {
				n++
			}
		}
		return n
	}
	before := looks()
	watch := document(t, get(t, c, s.portal.URL+status, "HX-Request", "true")).Find("[data-testid=request]")
	if looks() != before {
		t.Fatal("the watch read the device from the reserve kept for pages")
	}
	if phase := watch.AttrOr("data-phase", ""); phase != "accepted" || watch.AttrOr("hx-get", "") == "" {
		t.Fatalf("the watch without a read: phase %q, still polling %v: %s", phase, watch.AttrOr("hx-get", "") != "", watch.Text())
	}
	// It says why it knows nothing new, and looks again when a slot may
	// be free rather than at its usual 2 s.
	state := watch.Find("[data-testid=watch-state]").Text()
	delay := strings.TrimSuffix(strings.TrimPrefix(watch.AttrOr("hx-trigger", ""), "load delay:"), "ms")
	if ms, err := strconv.Atoi(delay); !strings.Contains(state, "Intune is busy") || err != nil || ms <= 2000 {
		t.Fatalf("the watch without a read says %q and polls after %q", state, watch.AttrOr("hx-trigger", ""))
	}
	// A click on Check again is someone waiting: it may read from the
	// reserve, whatever the pages left of it (a slow machine lets a lease
	// expire unspent, which counts all the same).
	var leased int
	if err := s.db.QueryRow("SELECT COALESCE(SUM(slots), 0) FROM read_budget_leases").Scan(&leased); err != nil {
		t.Fatal(err)
	}
	if leased < 8 {
		get(t, c, s.portal.URL+status+"?check=1", "HX-Request", "true")
		if looks() != before+1 {
			t.Fatalf("Check again (%d of 8 leased) did not read the device", leased)
		}
	}
}
