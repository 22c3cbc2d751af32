// Package audit keeps the trail of every assistance request. Intune keeps
// no record of requestRemoteAssistance, so this trail is the only answer to
// who asked for assistance on a device, when, for which ticket, and what
// happened. An attempt is written as pending before Graph is called and
// completed afterwards; the database, not a process, decides which of two
// instances may go ahead for one device.
//
// Times are stored as integer Unix milliseconds (UTC) on both SQLite and
// PostgreSQL, so every time in an Attempt is truncated to the millisecond.
package audit

import (
	"errors"
	"fmt"
	"time"

	"github.com/assistdesk/assistdesk/internal/store"
)

// Outcome is where an attempt stands.
type Outcome string

// The outcomes of an attempt. Pending is the only one that ever changes.
const (
	Pending   Outcome = "pending"
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
	// Unknown is an attempt whose instance stopped between the two writes:
	// Graph may or may not have been called.
	Unknown Outcome = "unknown"
	Refused Outcome = "refused"
)

// Why an attempt was refused before reaching Graph.
const (
	ReasonDuplicate   = "duplicate"
	ReasonRateLimit   = "rate_limit"
	ReasonWriteBudget = "write_budget"
)

// Attempt is one assistance request as recorded.
type Attempt struct {
	ID             string    // random, GUID-like
	CreatedAt      time.Time // UTC
	CompletedAt    time.Time // zero while pending
	TechnicianOID  string
	TechnicianTID  string
	TechnicianUPN  string
	TechnicianName string
	TechnicianKey  string // the caller's stable key for the technician
	TargetUser     string // the route's user id or UPN, "" when reached from a device
	// UserName and UserUPN are the person the device belongs to, as Graph
	// named them when the page showed the device, on every route.
	UserName      string
	UserUPN       string
	DeviceID      string
	DeviceName    string
	DeviceOS      string // Graph's operatingSystem, e.g. "Windows", "iOS"
	Route         int    // the Graph route asked for, 1–4
	FallbackRoute int    // 0, or the route used after a routing refusal
	Ticket        string
	Outcome       Outcome
	RefusedReason string // one of the Reason constants when refused
	// DuplicateOf is, on a refused duplicate, the attempt that held the
	// device; ConfirmedBy is the attempt a "Request again" of this refusal
	// started, "" while it has not been answered.
	DuplicateOf     string
	ConfirmedBy     string
	GraphStatus     int // 0 when Graph gave no answer
	GraphErrorCode  string
	GraphRequestID  string
	ClientRequestID string
	Duration        time.Duration
	ClientIP        string
	UserAgent       string
	Instance        string // the portal instance that wrote the attempt
	// Session is what the device showed after a 204, as last seen.
	Session Session
	// TicketDelivery is how telling the ticket went, over all its events.
	TicketDelivery TicketDelivery
}

// TicketDelivery sums up the delivery of an attempt's ticket events: the
// worst state of them ("" when there is none), and when one failed, the
// receiver's status.
type TicketDelivery struct {
	State  string // delivered, pending or failed
	Status int
}

var deliveryStates = map[int64]string{1: "delivered", 2: "pending", 3: "failed"}

// Session is what followed an accepted request on the device.
type Session struct {
	State SessionState
	Error string // Intune's remoteAssistanceSessionErrorDetails, when failed
	At    time.Time
}

// SessionState is the state of the remote session an accepted request
// asked for, as the device reports it.
type SessionState string

// The session states the follow-up records; the zero value is "not seen".
const (
	// SessionWaiting: Intune queued it; the user has not accepted yet.
	SessionWaiting SessionState = "waiting"
	// SessionReady: the device shows a session URL.
	SessionReady SessionState = "ready"
	// SessionFailed: the device shows session error details.
	SessionFailed SessionState = "failed"
	// SessionNotSupported: Intune reports the action as not supported.
	SessionNotSupported SessionState = "notSupported"
)

// Final reports whether the session state will not change any more.
func (s SessionState) Final() bool {
	return s == SessionReady || s == SessionFailed || s == SessionNotSupported
}

// Errors a caller tells apart.
var (
	// ErrDuplicate: the device was asked for within the guard window.
	// Begin returns it wrapped in a *DuplicateError.
	ErrDuplicate = errors.New("audit: assistance was already requested for this device")
	// ErrNotPending: Complete was called on an attempt that is already final.
	ErrNotPending = errors.New("audit: the attempt is no longer pending")
	// ErrNotFound: no attempt has this id.
	ErrNotFound = errors.New("audit: no such attempt")
	// ErrBadCursor: a page cursor that List did not hand out.
	ErrBadCursor = errors.New("audit: bad page cursor")
)

// DuplicateError is Begin's refusal under the duplicate guard. It holds
// the earlier attempt so the page can say who asked, when, and how it went.
type DuplicateError struct {
	Earlier Attempt
}

// Error names the earlier attempt.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%v: by %s at %s (%s)", ErrDuplicate, e.Earlier.TechnicianUPN,
		e.Earlier.CreatedAt.Format(time.RFC3339), e.Earlier.Outcome)
}

// Unwrap makes errors.Is(err, ErrDuplicate) hold.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Trail writes and reads the audit trail in one database.
type Trail struct {
	db       *store.DB
	instance string
	now      func() time.Time
	// ticketEvents: write the events that tell a request's ticket what
	// happened (WriteTicketEvents).
	ticketEvents bool
}

// New returns the trail in db, written by the named instance. now is the
// clock (time.Now when nil); tests inject one to move time.
func New(db *store.DB, instance string, now func() time.Time) *Trail {
	if now == nil {
		now = time.Now
	}
	return &Trail{db: db, instance: instance, now: now}
}

// clock is the current time as stored: UTC, whole milliseconds.
func (t *Trail) clock() time.Time {
	return time.UnixMilli(t.now().UnixMilli()).UTC()
}
