package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// columns of audit_attempts in the order attemptArgs and scanAttempt use.
const columns = `id, created_at, completed_at, technician_oid, technician_tid, technician_upn,
	technician_name, technician_key, target_user, device_id, device_name, route, fallback_route,
	ticket, outcome, refused_reason, graph_status, graph_error_code, graph_request_id,
	client_request_id, duration_ms, client_ip, user_agent, instance, user_name, user_upn, device_os,
	duplicate_of, confirmed_by, session_state, session_error, session_at`

// selected are the columns a read takes: the row's own, then a summary of
// its ticket events, the worst state (3 failed, 2 pending, 1 delivered,
// NULL for none) and a failed one's status from the receiver.
const selected = columns + `,
	(SELECT MAX(CASE e.state WHEN 'failed' THEN 3 WHEN 'pending' THEN 2 ELSE 1 END) FROM ticket_events e WHERE e.attempt_id = audit_attempts.id),
	(SELECT MAX(e.last_status) FROM ticket_events e WHERE e.attempt_id = audit_attempts.id AND e.state = 'failed')`

const insertAttempt = `INSERT INTO audit_attempts (` + columns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// attemptArgs are the values of a's columns for insertAttempt.
func attemptArgs(a Attempt) []any {
	return []any{a.ID, toMillis(a.CreatedAt), nullMillis(a.CompletedAt), storable(a.TechnicianOID),
		storable(a.TechnicianTID), storable(a.TechnicianUPN), storable(a.TechnicianName), a.TechnicianKey,
		storable(a.TargetUser), storable(a.DeviceID), storable(a.DeviceName), a.Route, a.FallbackRoute,
		storable(a.Ticket), string(a.Outcome), a.RefusedReason, a.GraphStatus, storable(a.GraphErrorCode),
		storable(a.GraphRequestID), storable(a.ClientRequestID), a.Duration.Milliseconds(), storable(a.ClientIP),
		storable(a.UserAgent), storable(a.Instance), storable(a.UserName), storable(a.UserUPN),
		storable(a.DeviceOS), a.DuplicateOf, a.ConfirmedBy, string(a.Session.State), storable(a.Session.Error),
		nullMillis(a.Session.At)}
}

// storable is s as a text column keeps it in both dialects. What the trail
// records comes from Graph, the identity provider and the browser, and
// PostgreSQL refuses a NUL or bytes that are not UTF-8 in text: a device
// Intune names so must not make its requests unrecordable. NULs are
// dropped, other bytes shown as U+FFFD.
func storable(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// scanAttempt reads one row selected with columns.
func scanAttempt(row interface{ Scan(...any) error }) (Attempt, error) {
	var (
		a                   Attempt
		created, duration   int64
		completed, sessAt   sql.NullInt64
		outcome, session    string
		delivery, delStatus sql.NullInt64
	)
	err := row.Scan(&a.ID, &created, &completed, &a.TechnicianOID, &a.TechnicianTID,
		&a.TechnicianUPN, &a.TechnicianName, &a.TechnicianKey, &a.TargetUser, &a.DeviceID,
		&a.DeviceName, &a.Route, &a.FallbackRoute, &a.Ticket, &outcome, &a.RefusedReason,
		&a.GraphStatus, &a.GraphErrorCode, &a.GraphRequestID, &a.ClientRequestID, &duration,
		&a.ClientIP, &a.UserAgent, &a.Instance, &a.UserName, &a.UserUPN, &a.DeviceOS,
		&a.DuplicateOf, &a.ConfirmedBy, &session, &a.Session.Error, &sessAt, &delivery, &delStatus)
	if err != nil {
		return Attempt{}, err
	}
	a.CreatedAt = fromMillis(created)
	if completed.Valid {
		a.CompletedAt = fromMillis(completed.Int64)
	}
	a.Outcome = Outcome(outcome)
	a.TicketDelivery = TicketDelivery{State: deliveryStates[delivery.Int64], Status: int(delStatus.Int64)}
	a.Session.State = SessionState(session)
	if sessAt.Valid {
		a.Session.At = fromMillis(sessAt.Int64)
	}
	a.Duration = time.Duration(duration) * time.Millisecond
	return a, nil
}

// queryer is a *sql.DB or a *sql.Tx, so a lookup can run inside Begin's
// transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Get returns the attempt with this id, or ErrNotFound.
func (t *Trail) Get(ctx context.Context, id string) (Attempt, error) {
	return t.get(ctx, t.db, id)
}

func (t *Trail) get(ctx context.Context, q queryer, id string) (Attempt, error) {
	a, err := scanAttempt(q.QueryRowContext(ctx,
		t.db.Rebind("SELECT "+selected+" FROM audit_attempts WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Attempt{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Attempt{}, fmt.Errorf("audit: get attempt %s: %w", id, err)
	}
	return a, nil
}

func toMillis(t time.Time) int64 { return t.UnixMilli() }

// nullMillis stores the zero time as NULL: "not completed", not 1970.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// newID is a random version-4 UUID: unguessable, so an attempt's status
// URL reveals nothing about other attempts.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
