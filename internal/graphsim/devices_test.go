package graphsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestKioskDevicesSpanTwoPages(t *testing.T) {
	e := newEnv(t, Config{})
	kiosk, _ := testTenant().UserByUPN(DemoKioskUPN)
	first := e.get("/beta/users/" + url.PathEscape(DemoKioskUPN) + "/managedDevices").page(t)
	if len(first.Value) != defaultPageSize {
		t.Fatalf("first page holds %d devices", len(first.Value))
	}
	if !strings.HasPrefix(first.NextLink, e.url+"/beta/users/") {
		t.Fatalf("nextLink %q does not start with the base URL", first.NextLink)
	}
	second := e.get(first.NextLink).page(t)
	if second.NextLink != "" || len(second.Value) != demoKioskDevices-defaultPageSize {
		t.Fatalf("second page: %d devices, nextLink %q", len(second.Value), second.NextLink)
	}
	got := append(first.ids(t), second.ids(t)...)
	var want []string
	for _, d := range testTenant().DevicesOfUser(kiosk.ID) {
		want = append(want, d.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages hold %d devices, not the %d of Kiosk Lab in order", len(got), len(want))
	}

	// A token from another query, or a forged one, is refused.
	token := first.NextLink[strings.Index(first.NextLink, "$skiptoken="):]
	e.get("/beta/deviceManagement/managedDevices?"+token).wantError(t, http.StatusBadRequest, "BadRequest")
	e.get("/beta/deviceManagement/managedDevices?$skiptoken=abc").wantError(t, http.StatusBadRequest, "BadRequest")
}

func TestDeviceFilter(t *testing.T) {
	e := newEnv(t, Config{})
	everything := len(testTenant().Devices)
	adele, _ := testTenant().UserByUPN(DemoAdeleUPN)
	named := func(part string) (n int) {
		for _, d := range testTenant().Devices {
			if strings.Contains(strings.ToLower(d.DeviceName), part) {
				n++
			}
		}
		return n
	}
	cases := []struct {
		filter string
		want   int
	}{
		{"deviceName eq 'ADELE-LT-01'", 1},
		{"deviceName eq 'adele-lt-01'", 1},
		{"deviceName eq 'Adele''s iPhone'", 1},
		{"userId eq '" + adele.ID + "' and deviceName eq 'ADELE-LT-01'", 1},
		{"userPrincipalName eq 'adele.vance@contoso.example'", len(testTenant().DevicesOfUser(adele.ID))},
		{"deviceName eq 'NO-SUCH-DEVICE'", 0},
		// Intune's traps: what it does not support it ignores.
		{"userPrincipalName eq ''", everything},
		{"deviceName eq 'ADELE-LT-01' and serialNumber eq ''", everything},
		// startswith on deviceName matches anywhere in the name, as
		// contains would; of two clauses joined by or, the first counts.
		{"startswith(deviceName,'ADELE')", named("adele")},
		{"startswith(deviceName,'lt-0')", named("lt-0")},
		{"startswith(serialNumber,'C02')", everything},
		{"operatingSystem eq 'Windows'", everything},
		{"deviceName ne 'ADELE-LT-01'", everything},
		{"deviceName eq 'ADELE-LT-01' or deviceName eq 'KIOSK-LAB-001'", 1},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			ids := e.all("/beta/deviceManagement/managedDevices?$select=id&$filter=" + url.QueryEscape(tc.filter))
			if len(ids) != tc.want {
				t.Errorf("%d devices, want %d", len(ids), tc.want)
			}
		})
	}
	for _, bad := range []string{"deviceName eq 'ADELE", "deviceName eq", "deviceName EQ 'x'", "(deviceName eq 'x'"} {
		e.get("/beta/deviceManagement/managedDevices?$filter="+url.QueryEscape(bad)).wantError(t, http.StatusBadRequest, "BadRequest")
	}
}

func TestGetDevice(t *testing.T) {
	e := newEnv(t, Config{})
	adele, _ := testTenant().UserByUPN(DemoAdeleUPN)
	d := testTenant().DevicesOfUser(adele.ID)[0]

	r := e.get("/beta/deviceManagement/managedDevices/" + strings.ToUpper(d.ID) + "?$select=id,deviceName,joinType")
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got["deviceName"] != "ADELE-LT-01" || len(got) != 4 || !strings.HasSuffix(got["@odata.context"].(string), "/$entity") {
		t.Errorf("got %v", got)
	}
	e.get("/beta/deviceManagement/managedDevices/ADELE-LT-01").wantError(t, http.StatusBadRequest, "BadRequest")
	ge := e.get("/beta/deviceManagement/managedDevices/00000000-0000-0000-0000-000000000000").wantError(t, http.StatusNotFound, "ResourceNotFound")
	if !strings.Contains(ge.Error.Message, `"_version": 3`) {
		t.Errorf("message %q is not wrapped the Intune way", ge.Error.Message)
	}

	users := e.get("/beta/deviceManagement/managedDevices/" + d.ID + "/users").page(t)
	if ids := users.ids(t); len(ids) != 1 || ids[0] != adele.ID {
		t.Errorf("primary user %v", ids)
	}
	if n := len(e.all("/beta/deviceManagement/managedDevices/" + d.ID + "/detectedApps")); n != len(testTenant().DeviceApps[d.ID]) {
		t.Errorf("%d detected apps", n)
	}
}

func TestRoutingRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	adele, _ := testTenant().UserByUPN(DemoAdeleUPN)
	d := testTenant().DevicesOfUser(adele.ID)[0]
	cases := []struct {
		path, message string
	}{
		// Graph's known refusal of a key navigation under a user.
		{"/beta/users/" + adele.ID + "/managedDevices/" + d.ID, "No method match route template"},
		{"/beta/deviceManagement/nothing", "Resource not found for the segment 'nothing'."},
		{"/v1.0/deviceManagement/deviceManagementScripts", "Resource not found for the segment 'deviceManagementScripts'."},
		{"/v1.0/users/" + adele.ID + "/managedDevices", "Resource not found for the segment 'managedDevices'."},
		{"/v2.0/users", "Invalid version: v2.0"},
		{"/v1.0/users/", "Resource not found for the segment ''."},
	}
	for _, tc := range cases {
		ge := e.get(tc.path).wantError(t, http.StatusBadRequest, "BadRequest")
		if ge.Error.Message != tc.message {
			t.Errorf("%s: message %q, want %q", tc.path, ge.Error.Message, tc.message)
		}
	}
	r := e.call(http.MethodDelete, "/beta/deviceManagement/managedDevices/"+d.ID, e.iss.Token(t, nil))
	r.wantError(t, http.StatusMethodNotAllowed, "BadRequest")
	if r.header.Get("Allow") != "GET" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	e.call(http.MethodPost, "/v1.0/users", e.iss.Token(t, nil)).wantError(t, http.StatusMethodNotAllowed, "Request_BadRequest")
}
