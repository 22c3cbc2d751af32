package web

import (
	"strconv"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/components"
)

// duplicateProps explains an earlier attempt on the device and offers to
// ask again, through the same URL with an explicit confirmation.
func duplicateProps(earlier audit.Attempt, refusalID, postURL, deviceName string, now time.Time) components.DuplicateProps {
	who := earlier.TechnicianName
	if who == "" {
		who = earlier.TechnicianUPN
	}
	return components.DuplicateProps{
		Who:       who,
		Ago:       ago(earlier.CreatedAt, now),
		At:        earlier.CreatedAt.UTC().Format("15:04:05 UTC"),
		Outcome:   outcomeLabel(earlier),
		PostURL:   postURL,
		Confirm:   "Request assistance again on " + orDash(deviceName) + "? Assistance was requested " + ago(earlier.CreatedAt, now) + ".",
		AttemptID: earlier.ID,
		RefusalID: refusalID,
	}
}

// outcomeLabel is an attempt's outcome in words.
func outcomeLabel(a audit.Attempt) string {
	switch a.Outcome {
	case audit.Pending:
		return "still waiting for Graph"
	case audit.Succeeded:
		return "succeeded (204)"
	case audit.Failed:
		return "failed (HTTP " + strconv.Itoa(a.GraphStatus) + ")"
	case audit.Unknown:
		return "outcome unknown"
	case audit.Refused:
		return "refused (" + a.RefusedReason + ")"
	}
	return string(a.Outcome)
}

// attemptRows shapes attempts for the tables of the search and audit pages.
func attemptRows(attempts []audit.Attempt) []components.AttemptRow {
	rows := make([]components.AttemptRow, 0, len(attempts))
	for _, a := range attempts {
		device := a.DeviceName
		if device == "" {
			device = a.DeviceID
		}
		route := "route " + strconv.Itoa(a.Route)
		if a.FallbackRoute != 0 {
			route += " → " + strconv.Itoa(a.FallbackRoute)
		}
		rows = append(rows, components.AttemptRow{
			ID:         a.ID,
			When:       a.CreatedAt.UTC().Format("2006-01-02 15:04:05"),
			Technician: firstOf(a.TechnicianName, a.TechnicianUPN),
			TargetUser: a.TargetUser,
			Device:     device,
			DeviceURL:  withTicket(devicePath(a.DeviceID), a.Ticket),
			Ticket:     a.Ticket,
			TicketURL:  withTicket("/", a.Ticket),
			Route:      route,
			Outcome:    outcomeLabel(a),
			OutcomeKey: string(a.Outcome),
			RequestID:  a.GraphRequestID,
			Instance:   a.Instance,
		})
	}
	return rows
}
