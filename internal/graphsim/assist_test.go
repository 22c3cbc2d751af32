package graphsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// assistTargets finds, in the demo tenant, a path for each of the four
// routes and the device each acts on.
type assistTargets struct {
	paths   map[int]string
	devices map[int]string
}

func findAssistTargets(t *testing.T) assistTargets {
	t.Helper()
	ten := testTenant()
	adele, _ := ten.UserByUPN(DemoAdeleUPN)
	laptop := ten.DevicesOfUser(adele.ID)[0]
	script := ten.Scripts[1]
	run := ten.RunStates[script.ID][0]
	app := ten.DeviceApps[run.DeviceID][0]
	var other string
	for _, d := range ten.Devices {
		if d.ID != run.DeviceID && slices.Contains(ten.DeviceApps[d.ID], app) {
			other = d.ID
			break
		}
	}
	if other == "" {
		t.Fatal("the demo tenant has no second device with the run's app")
	}
	runPath := "/beta/deviceManagement/deviceManagementScripts/" + script.ID + "/deviceRunStates/" + run.ID + "/managedDevice"
	return assistTargets{
		paths: map[int]string{
			1: "/beta/users/" + adele.ID + "/managedDevices/" + laptop.ID + "/requestRemoteAssistance",
			2: "/beta/deviceManagement/managedDevices/" + laptop.ID + "/requestRemoteAssistance",
			3: runPath + "/requestRemoteAssistance",
			4: runPath + "/detectedApps/" + app + "/managedDevices/" + other + "/requestRemoteAssistance",
		},
		devices: map[int]string{1: laptop.ID, 2: laptop.ID, 3: run.DeviceID, 4: other},
	}
}

// appMissingFromRunDevice is a route-4 path whose target device has an app
// that the run's device does not.
func appMissingFromRunDevice(t *testing.T) string {
	t.Helper()
	ten := testTenant()
	script := ten.Scripts[1]
	run := ten.RunStates[script.ID][0]
	for _, d := range ten.Devices {
		for _, app := range ten.DeviceApps[d.ID] {
			if !slices.Contains(ten.DeviceApps[run.DeviceID], app) {
				return "/beta/deviceManagement/deviceManagementScripts/" + script.ID + "/deviceRunStates/" + run.ID +
					"/managedDevice/detectedApps/" + app + "/managedDevices/" + d.ID + "/requestRemoteAssistance"
			}
		}
	}
	t.Fatal("every device has the same apps")
	return ""
}

func TestRequestRemoteAssistanceRoutes(t *testing.T) {
	e := newEnv(t, Config{})
	targets := findAssistTargets(t)
	for route := 1; route <= 4; route++ {
		tok := e.iss.Token(t, map[string]any{"jti": "jti-route", "oid": "oid-route"})
		r := e.call(http.MethodPost, targets.paths[route], tok)
		if r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("route %d: %d %q", route, r.status, r.body)
		}
		actions := e.sim.Actions()
		if len(actions) != route {
			t.Fatalf("route %d: %d actions recorded", route, len(actions))
		}
		a := actions[route-1]
		if a.Route != route || a.DeviceID != targets.devices[route] || a.TokenID != "jti-route" || a.TokenOID != "oid-route" || a.Time.IsZero() {
			t.Errorf("route %d recorded %+v", route, a)
		}
	}
	v1 := strings.Replace(targets.paths[2], "/beta/", "/v1.0/", 1)
	if r := e.call(http.MethodPost, v1, e.iss.Token(t, nil)); r.status != http.StatusNoContent {
		t.Errorf("v1.0 route 2: %d %s", r.status, r.body)
	}
}

func TestRequestRemoteAssistanceRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	targets := findAssistTargets(t)
	ten := testTenant()
	sean, _ := ten.UserByUPN(DemoSeanUPN)
	notSeans := strings.Replace(targets.paths[1], "/users/"+ten.Devices[0].UserID+"/", "/users/"+sean.ID+"/", 1)
	iPhone := ten.DevicesOfUser(sean.ID)[1].ID // no apps are detected on phones
	appNotThere := targets.paths[4][:strings.LastIndex(targets.paths[4], "/managedDevices/")] + "/managedDevices/" + iPhone + "/requestRemoteAssistance"
	notOnRunDevice := appMissingFromRunDevice(t)
	tok := e.iss.Token(t, nil)

	e.call(http.MethodPost, notOnRunDevice, tok).wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.call(http.MethodPost, notSeans, tok).wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.call(http.MethodPost, appNotThere, tok).wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.call(http.MethodPost, "/beta/deviceManagement/managedDevices/not-a-guid/requestRemoteAssistance", tok).
		wantError(t, http.StatusBadRequest, "BadRequest")
	e.call(http.MethodGet, targets.paths[2], tok).wantError(t, http.StatusMethodNotAllowed, "BadRequest")

	req, err := http.NewRequest(http.MethodPost, e.url+targets.paths[2], strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a body was accepted: %d", resp.StatusCode)
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions executed", n)
	}
}

func TestRefusedRoutes(t *testing.T) {
	e := newEnv(t, Config{RefuseRoutes: []int{1, 3, 4}})
	targets := findAssistTargets(t)
	want := map[int]string{1: "No method match route template", 3: "No OData route exists that match template", 4: "No OData route exists that match template"}
	for route, message := range want {
		ge := e.call(http.MethodPost, targets.paths[route], e.iss.Token(t, nil)).wantError(t, http.StatusBadRequest, "BadRequest")
		if !strings.HasPrefix(ge.Error.Message, message) {
			t.Errorf("route %d: message %q", route, ge.Error.Message)
		}
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Fatalf("%d refused actions executed", n)
	}
	if n := len(e.sim.Requests()); n != 3 {
		t.Errorf("%d requests recorded, want the 3 refusals", n)
	}
	// The fallback the portal takes after a refusal still works.
	if r := e.call(http.MethodPost, targets.paths[2], e.iss.Token(t, nil)); r.status != http.StatusNoContent {
		t.Errorf("route 2: %d %s", r.status, r.body)
	}
	if _, err := New(Config{BaseURL: "http://x", Issuer: "http://y", Tenant: testTenant(), RefuseRoutes: []int{2}}); err == nil {
		t.Error("New accepted refusing route 2, which Graph serves")
	}
}
