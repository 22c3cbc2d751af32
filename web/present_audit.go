package web

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/components"
)

// attemptLister lists the audit trail's attempts.
type attemptLister interface {
	List(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Attempt, string, error)
}

// standInRequests is how many latest requests stand in for the device
// cards a page could not read from Intune.
const standInRequests = 10

// requestsWhere are the latest requests f finds, newest first, as rows for
// the technician looking; none when the trail cannot say. They stand in
// for device cards a page could not read from Intune.
func requestsWhere(c echo.Context, trail attemptLister, f audit.Filter, now time.Time) []components.AttemptRow {
	attempts, _, err := trail.List(c.Request().Context(), f, audit.Page{Limit: standInRequests})
	if err != nil {
		noteError(c, err)
		return nil
	}
	return requestRows(attempts, technicianOf(c).Key(), now)
}

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
