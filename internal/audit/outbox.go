package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/assistdesk/assistdesk/internal/store"
)

// PendingEvent is a ticket event taken for delivery.
type PendingEvent struct {
	ID, AttemptID, Type string
	Payload             []byte
	CreatedAt           time.Time
	// Tries counts the deliveries started, this one included.
	Tries int
}

// TakeEvents leases up to limit due events to this instance until lease
// has passed, so that no other instance delivers them meanwhile; an
// instance that dies with a lease leaves its events to whoever comes after
// the lease. On PostgreSQL instances skip each other's locked rows rather
// than wait for them; SQLite's writers take turns anyway.
func (t *Trail) TakeEvents(ctx context.Context, limit int, lease time.Duration) ([]PendingEvent, error) {
	now := t.clock()
	skipLocked := ""
	if t.db.Dialect == store.Postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := t.db.QueryContext(ctx, t.db.Rebind(`UPDATE ticket_events SET leased_until = ?, leased_by = ?, tries = tries + 1
		WHERE id IN (SELECT id FROM ticket_events WHERE state = 'pending' AND next_at <= ? AND leased_until <= ?
			ORDER BY next_at LIMIT ?`+skipLocked+`)
		RETURNING id, attempt_id, event_type, payload, created_at, tries`),
		toMillis(now.Add(lease)), t.instance, toMillis(now), toMillis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("audit: take ticket events: %w", err)
	}
	defer rows.Close()
	var out []PendingEvent
	for rows.Next() {
		var (
			e       PendingEvent
			payload string
			created int64
		)
		if err := rows.Scan(&e.ID, &e.AttemptID, &e.Type, &payload, &created, &e.Tries); err != nil {
			return nil, fmt.Errorf("audit: take ticket events: %w", err)
		}
		e.Payload, e.CreatedAt = []byte(payload), fromMillis(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventDelivered records that the receiver took the event.
func (t *Trail) EventDelivered(ctx context.Context, id string, status int) error {
	return t.settleEvent(ctx, id, "state = 'delivered', delivered_at = ?, last_status = ?, last_error = ''", toMillis(t.clock()), status)
}

// EventRetry puts the event back, due again at next, noting why this try
// did not deliver it.
func (t *Trail) EventRetry(ctx context.Context, id string, status int, reason string, next time.Time) error {
	return t.settleEvent(ctx, id, "next_at = ?, leased_until = 0, last_status = ?, last_error = ?", toMillis(next), status, storable(reason))
}

// EventFailed ends an event that will not be delivered: the receiver
// refused it, or it could not be delivered for long enough.
func (t *Trail) EventFailed(ctx context.Context, id string, status int, reason string) error {
	return t.settleEvent(ctx, id, "state = 'failed', last_status = ?, last_error = ?", status, storable(reason))
}

// settleEvent changes a pending event; one that another instance settled
// meanwhile (its lease ran out while this one waited) is left as it is.
func (t *Trail) settleEvent(ctx context.Context, id, set string, args ...any) error {
	if _, err := t.db.ExecContext(ctx, t.db.Rebind("UPDATE ticket_events SET "+set+" WHERE id = ? AND state = 'pending'"),
		append(args, id)...); err != nil {
		return fmt.Errorf("audit: settle ticket event %s: %w", id, err)
	}
	return nil
}

// EventsPending counts the ticket events not yet delivered nor given up.
func (t *Trail) EventsPending(ctx context.Context) (int, error) {
	var n int
	if err := t.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ticket_events WHERE state = 'pending'").Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: count pending ticket events: %w", err)
	}
	return n, nil
}
