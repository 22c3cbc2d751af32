package graphsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// assistanceState is what a device shows of its last assistance request.
type assistanceState struct {
	URL     string               `json:"remoteAssistanceSessionUrl"`
	Details string               `json:"remoteAssistanceSessionErrorDetails"`
	Results []DeviceActionResult `json:"deviceActionResults"`
}

func (e *env) assistanceState(deviceID string) (assistanceState, DeviceActionResult) {
	e.t.Helper()
	r := e.get("/beta/deviceManagement/managedDevices/" + deviceID)
	if r.status != http.StatusOK {
		e.t.Fatalf("device: %d %s", r.status, r.body)
	}
	var s assistanceState
	if err := json.Unmarshal(r.body, &s); err != nil {
		e.t.Fatal(err)
	}
	for _, res := range s.Results {
		if res.ActionName == "requestRemoteAssistance" {
			return s, res
		}
	}
	return s, DeviceActionResult{}
}

func TestAssistanceSessionProgress(t *testing.T) {
	clock := newFakeClock()
	targets := findAssistTargets(t)
	laptop := targets.devices[2]
	route3, runDevice := otherRunDevice(t, laptop)
	e := newEnv(t, Config{Now: clock.Now})
	e.sim.SetDeviceFault(runDevice, SessionError)
	if s, res := e.assistanceState(laptop); res.ActionName != "" || s.URL != "" {
		t.Fatalf("before any request: %+v", s)
	}
	tok := e.iss.Token(t, nil)
	for _, path := range []string{targets.paths[2], route3} {
		if r := e.call(http.MethodPost, path, tok); r.status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}

	s, res := e.assistanceState(laptop)
	if res.ActionState != "pending" || !res.StartDateTime.Equal(testNow) || !res.LastUpdatedDateTime.Equal(testNow) || s.URL != "" || s.Details != "" {
		t.Fatalf("right after the 204: %+v, result %+v", s, res)
	}
	clock.Advance(3*time.Second - time.Millisecond)
	if _, res := e.assistanceState(laptop); res.ActionState != "pending" {
		t.Fatalf("before the default delay: %s", res.ActionState)
	}
	clock.Advance(time.Millisecond)
	s, res = e.assistanceState(laptop)
	if res.ActionState != "done" || !res.LastUpdatedDateTime.Equal(testNow.Add(3*time.Second)) || s.Details != "" {
		t.Fatalf("after the delay: %+v, result %+v", s, res)
	}
	if u, err := url.Parse(s.URL); err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Host, "teamviewer.com") {
		t.Errorf("session URL %q", s.URL)
	}
	if again, _ := e.assistanceState(laptop); again.URL != s.URL {
		t.Errorf("session URL changed from %q to %q", s.URL, again.URL)
	}
	if len(s.Results) != 1 {
		t.Errorf("%d action results, want one", len(s.Results))
	}

	s, res = e.assistanceState(runDevice)
	if res.ActionState != "failed" || s.Details == "" || s.URL != "" {
		t.Errorf("device with a session error: %+v, result %+v", s, res)
	}

	// A later request replaces the result and honours a new delay; the
	// device shows it wherever it is listed.
	e.sim.SetSessionDelay(10 * time.Second)
	e.call(http.MethodPost, targets.paths[2], tok)
	clock.Advance(5 * time.Second)
	if s, res := e.assistanceState(laptop); res.ActionState != "pending" || s.URL != "" || len(s.Results) != 1 {
		t.Errorf("second request, 5 s of 10 later: %+v", s)
	}
	adele, _ := testTenant().UserByUPN(DemoAdeleUPN)
	list := e.get("/beta/users/" + adele.ID + "/managedDevices?$select=id,deviceActionResults").page(t)
	if !strings.Contains(string(list.Value[0]), `"actionState":"pending"`) {
		t.Errorf("the user's device list shows %s", list.Value[0])
	}
}

func TestRemoteAssistancePartners(t *testing.T) {
	e := newEnv(t, Config{})
	const path = "/beta/deviceManagement/remoteAssistancePartners"
	ge := e.get(path).wantError(t, http.StatusForbidden, "Forbidden")
	if doc := wrapped(t, ge); !strings.Contains(doc.Message, "DeviceManagementServiceConfig.Read.All") {
		t.Errorf("403 names no scope: %q", doc.Message)
	}
	tok := e.iss.Token(t, map[string]any{"scp": "DeviceManagementServiceConfig.Read.All"})
	type partner struct {
		ID, DisplayName, OnboardingURL, OnboardingStatus string
		LastConnectionDateTime                           time.Time
	}
	read := func() partner {
		t.Helper()
		p := e.call(http.MethodGet, path, tok).page(t)
		if len(p.Value) != 1 {
			t.Fatalf("%d partners", len(p.Value))
		}
		var out partner
		if err := json.Unmarshal(p.Value[0], &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := read()
	if p.DisplayName != "TeamViewer" || p.OnboardingStatus != "onboarded" || !isGUID(p.ID) ||
		!strings.HasPrefix(p.OnboardingURL, "https://") || p.LastConnectionDateTime.IsZero() {
		t.Errorf("partner %+v", p)
	}
	if r := e.call(http.MethodGet, path+"/"+p.ID, tok); r.status != http.StatusOK {
		t.Errorf("the partner by id: %d", r.status)
	}
	e.call(http.MethodGet, path+"/00000000-0000-4000-8000-000000000000", tok).wantError(t, http.StatusNotFound, "ResourceNotFound")

	if err := e.sim.SetPartnerStatus("notOnboarded"); err != nil {
		t.Fatal(err)
	}
	if p := read(); p.OnboardingStatus != "notOnboarded" || !p.LastConnectionDateTime.IsZero() {
		t.Errorf("not onboarded: %+v", p)
	}
	if err := e.sim.SetPartnerStatus("Onboarded"); err == nil {
		t.Error("a misspelt status was accepted")
	}
}

// Intune takes the request whatever the connector or the device; what
// follows on the device says why no session can come of it.
func TestAssistanceWithoutAConnectorOrOnACorporateAndroidDevice(t *testing.T) {
	clock := newFakeClock()
	ten := testTenant()
	var android ManagedDevice
	for _, d := range ten.Devices {
		if androidCorporate(d.DeviceEnrollmentType) {
			android = d
			break
		}
	}
	laptop := findAssistTargets(t).devices[2]
	e := newEnv(t, Config{Now: clock.Now})
	tok := e.iss.Token(t, nil)
	post := func(device string) {
		t.Helper()
		if r := e.call(http.MethodPost, "/beta/deviceManagement/managedDevices/"+device+"/requestRemoteAssistance", tok); r.status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", device, r.status, r.body)
		}
	}
	post(android.ID)
	if err := e.sim.SetPartnerStatus("notOnboarded"); err != nil {
		t.Fatal(err)
	}
	post(laptop)
	clock.Advance(time.Minute)
	if s, res := e.assistanceState(android.ID); res.ActionState != "notSupported" || s.URL != "" {
		t.Errorf("an Android Enterprise corporate-owned device shows %+v, %+v", s, res)
	}
	if s, res := e.assistanceState(laptop); res.ActionState != "failed" || s.URL != "" || !strings.Contains(s.Details, "not onboarded") {
		t.Errorf("without an onboarded connector the device shows %+v, %+v", s, res)
	}
}
