package web

import (
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/components"
)

// requestRows are attempts as a technician's tables show them: where each
// stands for viewer, with links to its device and person that keep the
// attempt's ticket.
func requestRows(attempts []audit.Attempt, viewer string, now time.Time) []components.AttemptRow {
	rows := make([]components.AttemptRow, len(attempts))
	for i, a := range attempts {
		person := ""
		if ref := firstOf(a.UserUPN, a.TargetUser); ref != "" {
			person = withTicket(userPath(ref), a.Ticket)
		}
		rows[i] = attemptRow(a, requestProps(standing{Attempt: a}, viewer, now).Phase, withTicket(devicePath(a.DeviceID), a.Ticket), person, withTicket("/", a.Ticket))
	}
	return rows
}

// attemptRow shapes an attempt for a table, with the links the reader of
// that table can follow.
func attemptRow(a audit.Attempt, phase components.Phase, deviceURL, personURL, ticketURL string) components.AttemptRow {
	return components.AttemptRow{
		ID:            a.ID,
		When:          a.CreatedAt,
		Technician:    firstOf(a.TechnicianName, a.TechnicianUPN),
		TechnicianUPN: a.TechnicianUPN,
		Person:        firstOf(a.UserName, a.UserUPN, a.TargetUser, "—"),
		PersonUPN:     a.UserUPN,
		PersonURL:     personURL,
		// Rows from before device names were recorded fall back to the id.
		Device:         firstOf(a.DeviceName, a.DeviceID),
		DeviceURL:      deviceURL,
		Ticket:         a.Ticket,
		TicketURL:      ticketURL,
		Route:          a.Route,
		Fallback:       a.FallbackRoute,
		Outcome:        string(a.Outcome),
		RefusedReason:  a.RefusedReason,
		Session:        string(a.Session.State),
		GraphStatus:    a.GraphStatus,
		TicketDelivery: a.TicketDelivery.State,
		TicketStatus:   a.TicketDelivery.Status,
		Phase:          phase,
		RequestID:      a.GraphRequestID,
		Instance:       a.Instance,
	}
}
