package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// The types of the events a ticket is told, version 1 of their schema
// (README, "Ticket write-back"). The first four are a request's outcome;
// the session events are what the device showed after a 204.
const (
	EventSucceeded           = "assistance.succeeded"
	EventFailed              = "assistance.failed"
	EventUnknown             = "assistance.unknown"
	EventRefused             = "assistance.refused"
	EventSessionReady        = "session.ready"
	EventSessionFailed       = "session.failed"
	EventSessionNotSupported = "session.not_supported"
)

// SchemaVersion is the version of the event body below.
const SchemaVersion = 1

// Event is the body of one delivery: Standard Webhooks' type, timestamp
// and data.
type Event struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData is what happened to one request for assistance.
type EventData struct {
	SchemaVersion int           `json:"schema_version"`
	AttemptID     string        `json:"attempt_id"`
	Ticket        string        `json:"ticket"`
	Technician    EventPerson   `json:"technician"`
	User          EventPerson   `json:"user"`
	Device        EventDevice   `json:"device"`
	Route         EventRoute    `json:"route"`
	Outcome       string        `json:"outcome"`
	RefusedReason string        `json:"refused_reason,omitempty"`
	Graph         EventGraph    `json:"graph"`
	RequestedAt   time.Time     `json:"requested_at"`
	CompletedAt   *time.Time    `json:"completed_at,omitempty"`
	Session       *EventSession `json:"session,omitempty"`
	Instance      string        `json:"instance"`
}

// EventPerson names a technician or a device's user.
type EventPerson struct {
	Name string `json:"name"`
	UPN  string `json:"upn"`
}

// EventDevice is the managed device.
type EventDevice struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	OS   string `json:"os"`
}

// EventRoute is where in the portal the request was made.
type EventRoute struct {
	Number      int    `json:"number"`
	From        string `json:"from"` // user_page, device_page, script_run, app_device
	Description string `json:"description"`
	// Fallback is 2 when Graph refused the route and the request went on
	// the device's own.
	Fallback int `json:"fallback,omitempty"`
}

// EventGraph is Microsoft Graph's answer.
type EventGraph struct {
	Status          int    `json:"status"` // 0: no answer
	ErrorCode       string `json:"error_code,omitempty"`
	RequestID       string `json:"request_id,omitempty"`
	ClientRequestID string `json:"client_request_id,omitempty"`
}

// EventSession is what the device showed after the request was accepted.
type EventSession struct {
	State string    `json:"state"`
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

var routes = map[int][2]string{
	1: {"user_page", "from the user's page"},
	2: {"device_page", "from the device's page"},
	3: {"script_run", "from a failed script run"},
	4: {"app_device", "from a device with the same app as a failed script run's device"},
}

// eventOf is the event of type for a.
func eventOf(eventType string, a Attempt, at time.Time) Event {
	route := routes[a.Route]
	d := EventData{
		SchemaVersion: SchemaVersion,
		AttemptID:     a.ID,
		Ticket:        a.Ticket,
		Technician:    EventPerson{Name: a.TechnicianName, UPN: a.TechnicianUPN},
		User:          EventPerson{Name: a.UserName, UPN: a.UserUPN},
		Device:        EventDevice{ID: a.DeviceID, Name: a.DeviceName, OS: a.DeviceOS},
		Route:         EventRoute{Number: a.Route, From: route[0], Description: route[1], Fallback: a.FallbackRoute},
		Outcome:       string(a.Outcome),
		RefusedReason: a.RefusedReason,
		Graph: EventGraph{Status: a.GraphStatus, ErrorCode: a.GraphErrorCode, RequestID: a.GraphRequestID,
			ClientRequestID: a.ClientRequestID},
		RequestedAt: a.CreatedAt,
		Instance:    a.Instance,
	}
	if !a.CompletedAt.IsZero() {
		d.CompletedAt = &a.CompletedAt
	}
	if a.Session.State != "" {
		d.Session = &EventSession{State: string(a.Session.State), Error: a.Session.Error, At: a.Session.At}
	}
	return Event{Type: eventType, Timestamp: at, Data: d}
}

// outcomeEvents names the event of each final outcome.
var outcomeEvents = map[Outcome]string{
	Succeeded: EventSucceeded, Failed: EventFailed, Unknown: EventUnknown, Refused: EventRefused,
}

// sessionEvents names the event of each final session state.
var sessionEvents = map[SessionState]string{
	SessionReady: EventSessionReady, SessionFailed: EventSessionFailed, SessionNotSupported: EventSessionNotSupported,
}

// WriteTicketEvents makes the trail write, beside every outcome of a
// request that carries a ticket, the event that tells the ticket. Without
// it (no write-back configured) nothing is written.
func (t *Trail) WriteTicketEvents() { t.ticketEvents = true }

// execer is a *sql.Tx, or a *sql.DB for a single statement.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// recordEvent writes a's event of this type, in the caller's transaction,
// when a carries a ticket and the trail writes ticket events.
func (t *Trail) recordEvent(ctx context.Context, tx execer, eventType string, a Attempt) error {
	if !t.ticketEvents || a.Ticket == "" || eventType == "" {
		return nil
	}
	now := t.clock()
	body, err := json.Marshal(eventOf(eventType, a, now))
	if err != nil {
		return fmt.Errorf("audit: event for %s: %w", a.ID, err)
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind(`INSERT INTO ticket_events (id, attempt_id, event_type, payload, created_at, state, next_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?)`), "msg_"+rand.Text(), a.ID, eventType, string(body), toMillis(now), toMillis(now)); err != nil {
		return fmt.Errorf("audit: record the event for %s: %w", a.ID, err)
	}
	return nil
}
