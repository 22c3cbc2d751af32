package graphsim

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

func (g *demoGen) pickOS() string {
	switch n := g.rng.IntN(100); {
	case n < 50:
		return osWindows
	case n < 70:
		return osIOS
	case n < 85:
		return osAndroid
	default:
		return osMacOS
	}
}

// weighted picks one of values; weights are relative to their sum.
func (g *demoGen) weighted(values []string, weights ...int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rng.IntN(total)
	for i, w := range weights[:len(weights)-1] {
		if n -= w; n < 0 {
			return values[i]
		}
	}
	return values[len(values)-1]
}

// device makes the n-th device of a user.
func (g *demoGen) device(u *User, os string, n int) ManagedDevice {
	models := demoModels[os]
	m := models[g.rng.IntN(len(models))]
	lastSync := g.ago(5*time.Minute, 60*24*time.Hour)
	d := ManagedDevice{
		ID:                      g.guid(),
		UserID:                  u.ID,
		ManagedDeviceOwnerType:  "company",
		EnrolledDateTime:        lastSync.Add(-time.Duration(1+g.rng.IntN(900)) * 24 * time.Hour).Add(-time.Duration(g.rng.IntN(86400)) * time.Second),
		LastSyncDateTime:        lastSync,
		OperatingSystem:         os,
		ComplianceState:         g.weighted([]string{"compliant", "noncompliant", "inGracePeriod", "unknown", "error", "conflict"}, 70, 12, 6, 5, 3, 4),
		JailBroken:              "False",
		ManagementAgent:         "mdm",
		OSVersion:               g.pick(m.osVersions),
		AzureADRegistered:       true,
		EmailAddress:            u.Mail,
		AzureADDeviceID:         g.guid(),
		DeviceRegistrationState: "registered",
		IsEncrypted:             g.rng.IntN(10) > 0,
		UserPrincipalName:       u.UserPrincipalName,
		UserDisplayName:         u.DisplayName,
		Model:                   m.model,
		Manufacturer:            m.manufacturer,
		SerialNumber:            g.serial(m.serial),
		WiFiMacAddress:          g.mac(),
		ManagementState:         g.weighted([]string{"managed", "retirePending", "wipePending", "unhealthy"}, 95, 2, 1, 2),
		JoinType:                "azureADRegistered",
		RoleScopeTagIDs:         []string{"0"},
		DeviceActionResults:     []DeviceActionResult{},
	}
	if m.phone {
		d.IMEI = g.imei()
	}
	given := strings.SplitN(u.DisplayName, " ", 2)[0]
	switch os {
	case osWindows:
		d.JailBroken = "Unknown"
		d.DeviceEnrollmentType = g.weighted([]string{"windowsAzureADJoin", "windowsAutoEnrollment", "windowsCoManagement"}, 6, 3, 1)
		d.JoinType = g.weighted([]string{"azureADJoined", "hybridAzureADJoined"}, 7, 3)
		if d.DeviceEnrollmentType == "windowsCoManagement" {
			d.ManagementAgent = "configurationManagerClientMdm"
		}
		if n == 1 || g.rng.IntN(2) == 0 {
			d.DeviceName = fmt.Sprintf("%s-LT-%02d", upnStem(u.UserPrincipalName), n)
		} else {
			d.DeviceName = "DESKTOP-" + g.serial("???????")
		}
	case osMacOS:
		d.DeviceEnrollmentType = "appleBulkWithUser"
		d.DeviceName = given + "'s " + m.label
	case osIOS:
		d.DeviceEnrollmentType = g.weighted([]string{"appleBulkWithUser", "userEnrollment"}, 5, 3)
		d.IsSupervised = d.DeviceEnrollmentType == "appleBulkWithUser"
		d.ManagedDeviceOwnerType = g.weighted([]string{"company", "personal"}, 6, 4)
		d.DeviceName = given + "'s " + m.label
	case osAndroid:
		// Corporate-owned Android Enterprise devices are where Intune does
		// not support remote assistance, so the demo must have some.
		d.DeviceEnrollmentType = g.weighted([]string{"androidEnterpriseFullyManaged", "androidEnterpriseCorporateWorkProfile", "userEnrollment"}, 3, 3, 4)
		if d.DeviceEnrollmentType == "userEnrollment" {
			d.ManagedDeviceOwnerType = "personal"
		}
		d.DeviceName = given + "'s " + m.model
	}
	return d
}

// upnStem is the part of a UPN a Windows device name starts with.
func upnStem(upn string) string {
	stem := strings.FieldsFunc(upn, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) })[0]
	return strings.ToUpper(stem)
}

// kioskDevices gives the shared Kiosk Lab account its 130 kiosks.
func (g *demoGen) kioskDevices(t *Tenant) {
	kiosk, _ := t.UserByUPN(DemoKioskUPN)
	for i := range demoKioskDevices {
		d := g.device(&kiosk, osWindows, i+1)
		d.DeviceName = fmt.Sprintf("KIOSK-LAB-%03d", i+1)
		d.Manufacturer, d.Model = "Dell Inc.", "OptiPlex 7010"
		d.DeviceEnrollmentType, d.JoinType, d.ManagementAgent = "windowsAzureADJoin", "azureADJoined", "mdm"
		t.Devices = append(t.Devices, d)
	}
}

// demoLobbyPCs are Windows devices enrolled without a user (Autopilot
// self-deploying mode), where a request for assistance shows nobody a
// notification.
const demoLobbyPCs = 2

// lobbyPCs adds the devices enrolled without a user. They come after every
// other random choice, so the rest of the tenant stays as it was.
func (g *demoGen) lobbyPCs(t *Tenant) {
	for i := range demoLobbyPCs {
		d := g.device(&User{UserPrincipalName: "lobby"}, osWindows, i+1)
		d.DeviceName = fmt.Sprintf("LOBBY-PC-%02d", i+1)
		d.UserID, d.UserPrincipalName, d.UserDisplayName, d.EmailAddress = "", "", "", ""
		d.Manufacturer, d.Model = "HP", "HP EliteDesk 800 G6 Desktop Mini PC"
		d.DeviceEnrollmentType, d.JoinType, d.ManagementAgent = "windowsAzureADJoinUsingDeviceAuth", "azureADJoined", "mdm"
		d.ManagementState, d.LastSyncDateTime = "managed", g.now.Add(-time.Duration(2+i)*time.Hour)
		t.Devices = append(t.Devices, d)
	}
}

// serial fills a pattern and retries until the result is unused, because
// serial numbers identify devices in Intune searches.
func (g *demoGen) serial(pattern string) string {
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	for {
		b := []byte(pattern)
		for i, c := range b {
			switch c {
			case '#':
				b[i] = byte('0' + g.rng.IntN(10))
			case '?':
				b[i] = alnum[g.rng.IntN(len(alnum))]
			}
		}
		if s := string(b); !g.serials[s] {
			g.serials[s] = true
			return s
		}
	}
}

// imei makes a 15-digit IMEI with a valid Luhn check digit.
func (g *demoGen) imei() string {
	digits := []byte(fmt.Sprintf("35%012d", g.rng.Int64N(1e12)))
	sum := 0
	for i, c := range digits {
		v := int(c - '0')
		if i%2 == 1 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(digits) + string(rune('0'+(10-sum%10)%10))
}

func (g *demoGen) mac() string {
	return fmt.Sprintf("%012x", g.rng.Uint64()&0xfcffffffffff) // unicast, globally unique
}
