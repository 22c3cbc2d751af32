package graphsim

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// apps detects software on every Windows device: the Microsoft basics on
// most, and a few others each, so that any app leads to other devices.
func (g *demoGen) apps(t *Tenant) {
	t.DeviceApps = map[string][]string{}
	for _, a := range demoAppCatalog {
		sum := sha256.Sum256([]byte(a.name + "\x00" + a.version))
		t.DetectedApps = append(t.DetectedApps, DetectedApp{
			ID: hex.EncodeToString(sum[:]), DisplayName: a.name, Version: a.version,
			SizeInByte: a.size, Publisher: a.publisher, Platform: "windows",
		})
	}
	const basics = 3 // Edge, Teams and Microsoft 365 Apps lead the catalogue
	for _, d := range t.Devices {
		if d.OperatingSystem != osWindows {
			continue
		}
		var ids []string
		for i := range basics {
			if g.rng.IntN(10) < 9 {
				ids = append(ids, t.DetectedApps[i].ID)
			}
		}
		for _, i := range g.rng.Perm(len(t.DetectedApps) - basics)[:1+g.rng.IntN(4)] {
			ids = append(ids, t.DetectedApps[basics+i].ID)
		}
		t.DeviceApps[d.ID] = ids
	}
	counts := map[string]int32{}
	for _, ids := range t.DeviceApps {
		for _, id := range ids {
			counts[id]++
		}
	}
	for i := range t.DetectedApps {
		t.DetectedApps[i].DeviceCount = counts[t.DetectedApps[i].ID]
	}
}

// demoScripts are the PowerShell scripts of the demo tenant.
var demoScripts = []struct{ name, description, file, account string }{
	{"Collect diagnostic logs", "Zips the Intune Management Extension and event logs for support.", "Collect-Logs.ps1", "system"},
	{"Repair Company Portal", "Re-registers the Company Portal app when it fails to start.", "Repair-CompanyPortal.ps1", "system"},
	{"Clear Teams cache", "Clears the new Teams client's cache for the signed-in user.", "Clear-TeamsCache.ps1", "user"},
	{"Back up BitLocker recovery key", "Escrows the BitLocker recovery key to Entra ID.", "Backup-BitLockerKey.ps1", "system"},
	{"Install printer drivers", "Installs the print drivers for the office's printers.", "Install-PrinterDrivers.ps1", "system"},
	{"Set time zone", "Sets the time zone from the user's office location.", "Set-TimeZone.ps1", "user"},
}

// demoRunOutcomes are what Intune reports for a script run, by runState.
var demoRunOutcomes = map[string]struct {
	code                 int32
	result, errorMessage string
}{
	"success":       {0, "Completed successfully.", ""},
	"fail":          {-2016281112, "", "Script execution failed: the Intune Management Extension timed out after 30 minutes."},
	"scriptError":   {1, "Write-Error: Access to the path 'C:\\ProgramData\\Contoso' is denied.", "The script exited with code 1."},
	"pending":       {0, "", ""},
	"unknown":       {0, "", ""},
	"notApplicable": {0, "", "The script does not apply to this device."},
}

// scripts adds the scripts and their runs on Windows devices. The first
// script ran on every kiosk as well, so its runs span pages; each script's
// first runs go through every state, and Adele's laptop failed one.
func (g *demoGen) scripts(t *Tenant) {
	var windows, kiosks []string
	var adeleLaptop string
	for _, d := range t.Devices {
		switch {
		case d.OperatingSystem != osWindows:
		case d.DeviceName == "ADELE-LT-01":
			adeleLaptop = d.ID
			windows = append(windows, d.ID)
		case d.UserPrincipalName == DemoKioskUPN:
			kiosks = append(kiosks, d.ID)
		default:
			windows = append(windows, d.ID)
		}
	}
	states := []string{"success", "fail", "scriptError", "pending", "unknown", "notApplicable"}
	t.RunStates = map[string][]RunState{}
	for i, s := range demoScripts {
		created := g.ago(90*24*time.Hour, 400*24*time.Hour)
		sc := Script{
			ID: g.guid(), DisplayName: s.name, Description: s.description, FileName: s.file,
			RunAsAccount: s.account, RoleScopeTagIDs: []string{"0"},
			CreatedDateTime: created, LastModifiedDateTime: created.Add(time.Duration(g.rng.IntN(80*24)) * time.Hour),
		}
		t.Scripts = append(t.Scripts, sc)
		targets := windows[:0:0]
		for _, k := range g.rng.Perm(len(windows))[:20+g.rng.IntN(25)] {
			targets = append(targets, windows[k])
		}
		if i == 0 {
			targets = append(targets, kiosks...)
		}
		if i == 1 {
			targets = append([]string{adeleLaptop}, targets...)
		}
		seen := map[string]bool{}
		for j, deviceID := range targets {
			if seen[deviceID] {
				continue
			}
			seen[deviceID] = true
			state := g.weighted(states, 60, 15, 10, 8, 4, 3)
			if j < len(states) {
				state = states[j]
			}
			if i == 1 && j == 0 {
				state = "fail"
			}
			out := demoRunOutcomes[state]
			t.RunStates[sc.ID] = append(t.RunStates[sc.ID], RunState{
				ID: sc.ID + ":" + deviceID, RunState: state, ResultMessage: out.result,
				LastStateUpdateDateTime: g.ago(10*time.Minute, 30*24*time.Hour),
				ErrorCode:               out.code, ErrorDescription: out.errorMessage,
				ScriptID: sc.ID, DeviceID: deviceID,
			})
		}
	}
}
