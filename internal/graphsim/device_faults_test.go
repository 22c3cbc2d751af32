package graphsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeviceForbiddenAndGone(t *testing.T) {
	targets := findAssistTargets(t)
	laptop := targets.devices[2]
	route3, runDevice := otherRunDevice(t, laptop)
	e := newEnv(t, Config{Faults: Faults{Devices: map[string]DeviceFault{strings.ToUpper(laptop): Forbidden}}})
	e.sim.SetDeviceFault(runDevice, Gone)
	tok := e.iss.Token(t, nil)

	wrapped(t, e.get("/beta/deviceManagement/managedDevices/"+laptop).wantError(t, http.StatusForbidden, "Forbidden"))
	e.call(http.MethodPost, targets.paths[1], tok).wantError(t, http.StatusForbidden, "Forbidden")
	e.call(http.MethodPost, targets.paths[2], tok).wantError(t, http.StatusForbidden, "Forbidden")
	e.get("/beta/deviceManagement/managedDevices/"+runDevice).wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.call(http.MethodPost, route3, tok).wantError(t, http.StatusNotFound, "ResourceNotFound")
	e.get(strings.TrimSuffix(route3, "/requestRemoteAssistance")).wantError(t, http.StatusNotFound, "ResourceNotFound")
	if n := len(e.sim.Actions()); n != 0 {
		t.Fatalf("%d actions executed on faulty devices", n)
	}
	want := []string{"403 device-forbidden", "403 device-forbidden", "403 device-forbidden", "404 device-gone", "404 device-gone", "404 device-gone"}
	if got := e.statuses(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recorded %q", got)
	}

	// A malformed id is still refused as one, and a cleared fault is gone.
	e.get("/beta/deviceManagement/managedDevices/not-a-guid").wantError(t, http.StatusBadRequest, "BadRequest")
	e.sim.SetDeviceFault(laptop, DeviceFault{})
	if r := e.call(http.MethodPost, targets.paths[2], tok); r.status != http.StatusNoContent {
		t.Errorf("after clearing the fault: %d", r.status)
	}
}

func TestDeviceHangEndsWithTheClient(t *testing.T) {
	targets := findAssistTargets(t)
	e := newEnv(t, Config{})
	e.sim.SetDeviceFault(targets.devices[2], Hang)
	client := &http.Client{Timeout: 150 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, e.url+targets.paths[2], nil)
	req.Header.Set("Authorization", "Bearer "+e.iss.Token(t, nil))
	start := time.Now()
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hanging device answered %d", resp.StatusCode)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("the client gave up after %v, before its timeout", took)
	}
	if r := e.waitForRequest(1); r.Status != 0 || r.Fault != "device-hang" {
		t.Errorf("recorded %+v", r)
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions executed on a hanging device", n)
	}
}

func TestDeviceSlow(t *testing.T) {
	targets := findAssistTargets(t)
	e := newEnv(t, Config{})
	e.sim.SetDeviceFault(targets.devices[2], Slow(60*time.Millisecond))
	start := time.Now()
	if r := e.call(http.MethodPost, targets.paths[2], e.iss.Token(t, nil)); r.status != http.StatusNoContent {
		t.Fatalf("slow device: %d", r.status)
	}
	if took := time.Since(start); took < 60*time.Millisecond {
		t.Errorf("answered in %v", took)
	}
	if r := e.sim.Requests()[0]; r.Fault != "device-slow" {
		t.Errorf("recorded fault %q", r.Fault)
	}
}

// otherRunDevice is a route-3 path and the device it acts on, for a run on
// some device other than notThis.
func otherRunDevice(t *testing.T, notThis string) (path, deviceID string) {
	t.Helper()
	ten := testTenant()
	for _, sc := range ten.Scripts {
		for _, run := range ten.RunStates[sc.ID] {
			if run.DeviceID != notThis {
				return "/beta/deviceManagement/deviceManagementScripts/" + sc.ID + "/deviceRunStates/" + run.ID +
					"/managedDevice/requestRemoteAssistance", run.DeviceID
			}
		}
	}
	t.Fatal("every run is on one device")
	return "", ""
}
