package graphsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestScriptsAndRunStates(t *testing.T) {
	e := newEnv(t, Config{})
	ten := testTenant()
	if ids := e.all("/beta/deviceManagement/deviceManagementScripts"); len(ids) != len(ten.Scripts) {
		t.Fatalf("%d scripts", len(ids))
	}
	script := ten.Scripts[0]
	base := "/beta/deviceManagement/deviceManagementScripts/" + script.ID

	// The first script ran on every kiosk, so its runs span pages; each run
	// carries its device when asked to.
	var runs []json.RawMessage
	for target := base + "/deviceRunStates?$expand=managedDevice"; target != ""; {
		p := e.get(target).page(t)
		runs = append(runs, p.Value...)
		target = p.NextLink
	}
	if len(runs) != len(ten.RunStates[script.ID]) || len(runs) <= defaultPageSize {
		t.Fatalf("%d runs over the pages, tenant has %d", len(runs), len(ten.RunStates[script.ID]))
	}
	for i, raw := range runs {
		var run struct {
			ID            string         `json:"id"`
			RunState      string         `json:"runState"`
			ManagedDevice *ManagedDevice `json:"managedDevice"`
		}
		if err := json.Unmarshal(raw, &run); err != nil {
			t.Fatal(err)
		}
		want := ten.RunStates[script.ID][i]
		if run.ID != want.ID || run.ManagedDevice == nil || run.ManagedDevice.ID != want.DeviceID {
			t.Fatalf("run %d: %s on %v, want %s on %s", i, run.ID, run.ManagedDevice, want.ID, want.DeviceID)
		}
	}
	e.get(base+"/deviceRunStates?$expand=device").wantError(t, http.StatusBadRequest, "BadRequest")

	run := ten.RunStates[script.ID][0]
	runPath := base + "/deviceRunStates/" + run.ID
	if r := e.get(runPath); r.status != http.StatusOK {
		t.Errorf("run state: %d %s", r.status, r.body)
	}
	var device ManagedDevice
	r := e.get(runPath + "/managedDevice")
	if err := json.Unmarshal(r.body, &device); err != nil || device.ID != run.DeviceID {
		t.Errorf("run's device: %d %s", r.status, r.body)
	}
	apps := e.all(runPath + "/managedDevice/detectedApps")
	if !slices.Equal(apps, ten.DeviceApps[run.DeviceID]) {
		t.Errorf("run device's apps %v, want %v", apps, ten.DeviceApps[run.DeviceID])
	}
	app := apps[0]
	holders := e.all("/beta/deviceManagement/detectedApps/" + app + "/managedDevices")
	if !slices.Contains(holders, run.DeviceID) || len(holders) < 2 {
		t.Errorf("%d devices have app %s", len(holders), app)
	}

	e.get(base+"/deviceRunStates/no-such-run").wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.get("/beta/deviceManagement/deviceManagementScripts/not-a-guid").wantError(t, http.StatusBadRequest, "BadRequest")
	e.get("/beta/deviceManagement/detectedApps/"+app[:60]+"/managedDevices").wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.call(http.MethodGet, runPath, e.iss.Token(t, map[string]any{"scp": "DeviceManagementManagedDevices.Read.All"})).
		wantError(t, http.StatusForbidden, "Forbidden")
}
