package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
)

// deviceProps shapes a Graph device for the device card. assistURL is the
// POST that requests assistance on it.
func deviceProps(d graph.ManagedDevice, now time.Time, assistURL string) components.DeviceProps {
	label, class := compliance(d.ComplianceState)
	p := components.DeviceProps{
		ID:              d.ID,
		Name:            orDash(d.DeviceName),
		OS:              orDash(strings.TrimSpace(d.OperatingSystem + " " + d.OSVersion)),
		Compliance:      label,
		ComplianceClass: class,
		Model:           orDash(modelName(d.Manufacturer, d.Model)),
		Serial:          orDash(d.SerialNumber),
		Ownership:       ownership(d.ManagedDeviceOwnerType),
		EnrolledBy:      firstOf(d.UserDisplayName, d.UserPrincipalName),
		AssistURL:       assistURL,
		Unsupported:     unsupportedEnrollment(d.DeviceEnrollmentType),
	}
	if d.LastSyncDateTime.IsZero() {
		p.LastSyncAgo, p.LastSyncExact = "never", "no sync recorded"
	} else {
		p.LastSyncAgo = ago(d.LastSyncDateTime, now)
		p.LastSyncExact = d.LastSyncDateTime.UTC().Format("2006-01-02 15:04 UTC")
		p.LastSyncISO = d.LastSyncDateTime.UTC().Format(time.RFC3339)
	}
	return p
}

// deviceDetails are the device page's extra facts, in words.
func deviceDetails(d graph.ManagedDevice) components.DeviceDetails {
	encrypted := "No"
	if d.IsEncrypted {
		encrypted = "Yes"
	}
	enrolled := "—"
	if !d.EnrolledDateTime.IsZero() {
		enrolled = d.EnrolledDateTime.UTC().Format("2006-01-02")
	}
	return components.DeviceDetails{
		Encrypted:  encrypted,
		Enrolled:   enrolled,
		Management: orDash(d.ManagementState),
		Enrollment: orDash(d.DeviceEnrollmentType),
	}
}

// modelName is "Manufacturer Model", without saying the maker twice when
// Intune's model already starts with it ("HP EliteDesk 800").
func modelName(manufacturer, model string) string {
	if strings.HasPrefix(strings.ToLower(model), strings.ToLower(manufacturer)) {
		return strings.TrimSpace(model)
	}
	return strings.TrimSpace(manufacturer + " " + model)
}

// compliance turns Intune's complianceState into words and a colour.
func compliance(state string) (label, class string) {
	switch state {
	case "compliant":
		return "Compliant", "ok"
	case "noncompliant":
		return "Not compliant", "bad"
	case "inGracePeriod":
		return "In grace period", "warn"
	case "conflict":
		return "Conflict", "warn"
	case "error":
		return "Compliance error", "bad"
	case "configManager":
		return "Managed by Configuration Manager", "muted"
	case "", "unknown":
		return "Compliance unknown", "muted"
	}
	return state, "muted"
}

func ownership(owner string) string {
	switch owner {
	case "company":
		return "Corporate"
	case "personal":
		return "Personal"
	}
	return "Unknown"
}

// ago is a short relative time, as a technician reads it on the phone.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "less than a minute ago"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
