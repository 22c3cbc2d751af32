package graphsim

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

func TestDemoTenantIsDeterministic(t *testing.T) {
	a, err := json.Marshal(DemoTenant(testNow))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(DemoTenant(testNow))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two demo tenants for the same now differ")
	}
	later := DemoTenant(testNow.Add(time.Hour))
	if got, want := later.Devices[0].LastSyncDateTime, testTenant().Devices[0].LastSyncDateTime.Add(time.Hour); !got.Equal(want) {
		t.Errorf("times do not move with now: %v, want %v", got, want)
	}
}

func TestDemoTenantShape(t *testing.T) {
	ten := testTenant()
	if len(ten.Users) < 250 || len(ten.Devices) < 600 {
		t.Errorf("%d users, %d devices", len(ten.Users), len(ten.Devices))
	}
	ids, upns, serials := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, u := range ten.Users {
		if !isGUID(u.ID) || ids[u.ID] || upns[u.UserPrincipalName] {
			t.Errorf("user %s / %s is not unique or not a GUID", u.ID, u.UserPrincipalName)
		}
		ids[u.ID], upns[u.UserPrincipalName] = true, true
	}
	perUser := map[string]int{}
	for _, d := range ten.Devices {
		// Only a Windows device enrolled in self-deploying mode has no user.
		userless := d.UserID == "" && d.UserPrincipalName == "" && d.OperatingSystem == osWindows &&
			d.DeviceEnrollmentType == "windowsAzureADJoinUsingDeviceAuth"
		if !isGUID(d.ID) || !isGUID(d.AzureADDeviceID) || ids[d.ID] || serials[d.SerialNumber] || !ids[d.UserID] && !userless {
			t.Errorf("device %s (%s) has a bad or repeated id or serial, or no user", d.ID, d.DeviceName)
		}
		ids[d.ID], serials[d.SerialNumber] = true, true
		perUser[d.UserID]++
		if d.LastSyncDateTime.After(testNow) || d.LastSyncDateTime.Before(testNow.Add(-61*24*time.Hour)) || !d.EnrolledDateTime.Before(d.LastSyncDateTime) {
			t.Errorf("device %s synced %v, enrolled %v", d.DeviceName, d.LastSyncDateTime, d.EnrolledDateTime)
		}
	}
	without := 0
	for _, u := range ten.Users {
		if perUser[u.ID] == 0 {
			without++
		}
	}
	if without < 20 {
		t.Errorf("%d users without devices", without)
	}

	oses := map[string]bool{}
	adele, _ := ten.UserByUPN(DemoAdeleUPN)
	for _, d := range ten.DevicesOfUser(adele.ID) {
		oses[d.OperatingSystem] = true
	}
	if !oses[osWindows] || !oses[osIOS] || !oses[osAndroid] {
		t.Errorf("Adele's devices run %v", oses)
	}
	kiosk, _ := ten.UserByUPN(DemoKioskUPN)
	guest, _ := ten.UserByUPN(DemoGuestUPN)
	sean, ok := ten.UserByUPN(DemoSeanUPN)
	if perUser[kiosk.ID] != demoKioskDevices || perUser[guest.ID] != 0 || !ok || sean.DisplayName != "Seán O'Brien" {
		t.Errorf("kiosk %d devices, guest %d, Seán %q", perUser[kiosk.ID], perUser[guest.ID], sean.DisplayName)
	}
}

func TestDemoScriptsAndApps(t *testing.T) {
	ten := testTenant()
	if len(ten.Scripts) < 5 {
		t.Errorf("%d scripts", len(ten.Scripts))
	}
	runID := regexp.MustCompile(`^[A-Za-z0-9_:-]{1,128}$`)
	states := map[string]bool{}
	windows := map[string]bool{}
	for _, d := range ten.Devices {
		windows[d.ID] = d.OperatingSystem == osWindows
	}
	for _, sc := range ten.Scripts {
		for _, rs := range ten.RunStates[sc.ID] {
			states[rs.RunState] = true
			if !runID.MatchString(rs.ID) || !windows[rs.DeviceID] || rs.ScriptID != sc.ID {
				t.Errorf("run state %s on %s", rs.ID, rs.DeviceID)
			}
		}
	}
	for _, s := range []string{"success", "fail", "scriptError", "pending", "unknown"} {
		if !states[s] {
			t.Errorf("no run state %s", s)
		}
	}

	appID := regexp.MustCompile(`^[0-9a-f]{64}$`)
	counts := map[string]int32{}
	for id, apps := range ten.DeviceApps {
		if !windows[id] || len(apps) == 0 {
			t.Errorf("device %s: %d apps", id, len(apps))
		}
		for _, a := range apps {
			counts[a]++
		}
	}
	if len(ten.DetectedApps) < 20 {
		t.Errorf("%d detected apps", len(ten.DetectedApps))
	}
	for _, a := range ten.DetectedApps {
		if !appID.MatchString(a.ID) || a.DeviceCount != counts[a.ID] {
			t.Errorf("app %s (%s): deviceCount %d, detected on %d", a.ID, a.DisplayName, a.DeviceCount, counts[a.ID])
		}
	}
}
