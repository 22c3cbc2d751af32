package graphsim

import "time"

// HostilePayloads are strings a browser would run or act on if a page
// treated data as markup: script tags, event handlers, htmx attributes.
// Each would set window.__xss or request a URL containing "xss-fired".
var HostilePayloads = []string{
	`<script>window.__xss=1</script>`,
	`"><img src=x onerror="window.__xss=1">`,
	`<div hx-get="/xss-fired" hx-trigger="load">x</div>`,
	`'><svg onload=window.__xss=1>`,
	`<a href="javascript:window.__xss=1">x</a>`,
	`<img src="/xss-fired.png">`,
}

// HostileTenant is the demo tenant with every name a technician can see
// replaced, for the first users with devices, by hostile payloads; search
// for "Hostile" to find them. It proves that the portal renders Graph's
// data as text.
func HostileTenant(now time.Time) *Tenant {
	t := DemoTenant(now)
	touched := 0
	for i := range t.Users {
		u := &t.Users[i]
		devices := 0
		for j := range t.Devices {
			d := &t.Devices[j]
			if d.UserID != u.ID {
				continue
			}
			p := HostilePayloads[(touched+devices)%len(HostilePayloads)]
			d.DeviceName, d.Model, d.Manufacturer, d.SerialNumber, d.OSVersion = p, p, p, p, p
			d.UserDisplayName = "Hostile " + p
			devices++
		}
		if devices == 0 || u.UserPrincipalName == DemoAdeleUPN {
			continue
		}
		u.DisplayName = "Hostile " + HostilePayloads[touched%len(HostilePayloads)]
		u.Mail = ""
		touched++
		if touched == len(HostilePayloads) {
			break
		}
	}
	return t
}
