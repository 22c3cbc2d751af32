package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// failedRun is a failed run of a script in the demo tenant, with its device.
func failedRun(t *testing.T, tenant *graphsim.Tenant) (scriptID string, run graphsim.RunState) {
	t.Helper()
	for _, s := range tenant.Scripts {
		for _, r := range tenant.RunStates[s.ID] {
			if r.RunState == "fail" && len(tenant.DeviceApps[r.DeviceID]) > 0 {
				return s.ID, r
			}
		}
	}
	t.Fatal("the demo tenant has no failed run on a device with apps")
	return "", graphsim.RunState{}
}

func TestScriptsListAndFailuresFirst(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	tenant := s.sim.Tenant()
	doc := document(t, get(t, c, s.portal.URL+"/scripts"))
	rows := doc.Find("[data-testid=script]")
	if rows.Length() != len(tenant.Scripts) || rows.Length() < 5 {
		t.Fatalf("%d scripts listed, tenant has %d", rows.Length(), len(tenant.Scripts))
	}
	first := tenant.Scripts[0]
	want := 0
	for _, r := range tenant.RunStates[first.ID] {
		if r.RunState == "fail" || r.RunState == "scriptError" {
			want++
		}
	}
	if got := rows.First().Find("[data-testid=failed-count]").Text(); got != strconv.Itoa(want) {
		t.Errorf("%s: %s failed runs shown, want %d", first.DisplayName, got, want)
	}

	scriptID, _ := failedRun(t, tenant)
	runs := document(t, get(t, c, s.portal.URL+"/scripts/"+scriptID)).Find("[data-testid=run]")
	seenOK := false
	runs.Each(func(_ int, r *goqSel) {
		state := r.AttrOr("data-state", "")
		failedState := state == "fail" || state == "scriptError"
		if !failedState {
			seenOK = true
		} else if seenOK {
			t.Errorf("a %s run comes after a run that did not fail", state)
		}
	})
	if resp := get(t, c, s.portal.URL+"/scripts/not-a-guid"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad script id: status %d", resp.StatusCode)
	}
}

func TestRoute3FromAFailedRunAndItsFallback(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "route 3", true: "route 3 refused"}[refuse], func(t *testing.T) {
			var s *stack
			if refuse {
				s = newStackRefusing(t, 3)
			} else {
				s = newStack(t)
			}
			c := s.signedIn(t)
			scriptID, run := failedRun(t, s.sim.Tenant())
			resp := s.assist(t, c, "/scripts/"+scriptID+"/runs/"+run.ID+"/assistance?ticket=INC-3", nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body(t, resp))
			}
			actions := s.sim.Actions()
			wantRoute := map[bool]int{false: 3, true: 2}[refuse]
			if len(actions) != 1 || actions[0].Route != wantRoute || actions[0].DeviceID != run.DeviceID {
				t.Fatalf("actions %+v, want one on route %d for %s", actions, wantRoute, run.DeviceID)
			}
			rows := s.attempts(t)
			if len(rows) != 1 || rows[0].Route != 3 || rows[0].DeviceID != run.DeviceID || rows[0].Outcome != audit.Succeeded ||
				(refuse && rows[0].FallbackRoute != 2) || (!refuse && rows[0].FallbackRoute != 0) {
				t.Fatalf("audit %+v", rows)
			}
		})
	}
}

func TestRoute4FromAnAppOnAFailedRunsDevice(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "route 4", true: "route 4 refused"}[refuse], func(t *testing.T) {
			var s *stack
			if refuse {
				s = newStackRefusing(t, 4)
			} else {
				s = newStack(t)
			}
			c := s.signedIn(t)
			tenant := s.sim.Tenant()
			scriptID, run := failedRun(t, tenant)
			runPage := document(t, get(t, c, s.portal.URL+"/scripts/"+scriptID+"/runs/"+run.ID))
			app := runPage.Find("[data-testid=app] a").First()
			if runPage.Find("[data-testid=app]").Length() != len(tenant.DeviceApps[run.DeviceID]) {
				t.Fatalf("%d apps shown, the device has %d", runPage.Find("[data-testid=app]").Length(), len(tenant.DeviceApps[run.DeviceID]))
			}
			appPage := document(t, get(t, c, s.portal.URL+app.AttrOr("href", "")))
			buttons := appPage.Find("button[data-testid=assist]")
			if buttons.Length() == 0 {
				t.Fatal("no device with that app offers Request assistance")
			}
			post := buttons.First().Closest("form").AttrOr("hx-post", "")
			if !strings.Contains(post, "/apps/") || !strings.Contains(post, "/devices/") {
				t.Fatalf("the button posts to %q, not route 4's address", post)
			}
			deviceID := buttons.First().Closest("[data-device-id]").AttrOr("data-device-id", "")
			if resp := s.assist(t, c, post, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			wantRoute := map[bool]int{false: 4, true: 2}[refuse]
			if actions := s.sim.Actions(); len(actions) != 1 || actions[0].Route != wantRoute || actions[0].DeviceID != deviceID {
				t.Fatalf("actions %+v, want one on route %d for %s", actions, wantRoute, deviceID)
			}
		})
	}
}

func TestDeviceSearchAndPrimaryUser(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]
	for _, q := range []string{device.DeviceName, device.SerialNumber} {
		hit := document(t, get(t, c, s.portal.URL+"/search?q="+q, "HX-Request", "true")).Find("[data-testid=device-hit] a")
		if hit.Length() != 1 || hit.AttrOr("href", "") != "/devices/"+device.ID {
			t.Errorf("search %q: %d device hits (%q)", q, hit.Length(), hit.AttrOr("href", ""))
		}
	}
	for _, r := range s.graphCalls("GET", "/beta/deviceManagement/managedDevices") {
		if strings.Contains(r.RawQuery, "%27%27") || strings.Contains(r.RawQuery, "eq%20%27%27") {
			t.Errorf("an empty eq filter was sent: %s", r.RawQuery)
		}
	}
	before := len(s.graphCalls("GET", "/beta/deviceManagement/managedDevices"))
	get(t, c, s.portal.URL+"/search?q=adele.vance@contoso.example", "HX-Request", "true")
	if after := len(s.graphCalls("GET", "/beta/deviceManagement/managedDevices")); after != before {
		t.Errorf("a UPN was looked up as a device name (%d calls)", after-before)
	}
	primary := document(t, get(t, c, s.portal.URL+"/devices/"+device.ID)).Find("[data-testid=primary-user]")
	if !strings.Contains(primary.Text(), "Adele Vance") {
		t.Errorf("primary user shown as %q", primary.Text())
	}
}
