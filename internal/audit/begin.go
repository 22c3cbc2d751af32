package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// claimDevice takes the device's claim for an attempt unless another
// attempt claimed it after cutoff, or the claim is held by the attempt a
// confirmed "Request again" may replace. The primary key on device_id makes
// two concurrent claims meet in the database: on PostgreSQL the second
// waits for the first to commit and then sees its claim; on SQLite the
// write transactions run one after the other.
const claimDevice = `INSERT INTO device_claims (device_id, attempt_id, claimed_at) VALUES (?, ?, ?)
	ON CONFLICT (device_id) DO UPDATE SET attempt_id = excluded.attempt_id, claimed_at = excluded.claimed_at
	WHERE device_claims.claimed_at <= ? OR device_claims.attempt_id = ?`

// ConfirmWithin is how long a refused duplicate can be answered with
// "Request again".
const ConfirmWithin = 10 * time.Minute

// Begin records a as pending before Graph is called; if it returns an
// error the caller must not call Graph. It sets the fields the trail owns
// (ID, CreatedAt, Outcome, Instance) and keeps the rest as given.
//
// A device asked for within window before, by anyone on any instance, is
// not asked for again: Begin then records a refused attempt (returned) and
// returns a *DuplicateError holding the earlier attempt.
//
// confirming is the id of such a refusal that the technician answered
// with "Request again", or "". It lets this attempt take the device from
// the attempt the refusal deferred to: once, for the technician and device
// it refused, within ConfirmWithin, once that attempt has its answer, and
// only while it still holds the device. Otherwise the guard applies as if nothing had been
// confirmed, so a hundred copies of one confirmation send one request.
func (t *Trail) Begin(ctx context.Context, a Attempt, window time.Duration, confirming string) (Attempt, error) {
	if a.DeviceID == "" {
		return Attempt{}, errors.New("audit: begin: the device id is missing")
	}
	a = t.stamp(a)
	a.Outcome = Pending

	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return Attempt{}, fmt.Errorf("audit: begin for device %s: %w", a.DeviceID, err)
	}
	defer tx.Rollback() // undoes everything on an early return; a no-op after Commit
	replaceable, err := t.replaceable(ctx, tx, a, confirming)
	if err != nil {
		return Attempt{}, err
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind(claimDevice),
		a.DeviceID, a.ID, toMillis(a.CreatedAt), toMillis(a.CreatedAt.Add(-window)), replaceable); err != nil {
		return Attempt{}, fmt.Errorf("audit: claim device %s: %w", a.DeviceID, err)
	}
	// Whether the upsert changed a row is not reported alike by every
	// driver, so ask who holds the claim now.
	var holder string
	if err := tx.QueryRowContext(ctx, t.db.Rebind("SELECT attempt_id FROM device_claims WHERE device_id = ?"),
		a.DeviceID).Scan(&holder); err != nil {
		return Attempt{}, fmt.Errorf("audit: read claim on device %s: %w", a.DeviceID, err)
	}
	var dup *DuplicateError
	if holder != a.ID {
		earlier, err := t.get(ctx, tx, holder)
		if err != nil {
			return Attempt{}, err
		}
		dup = &DuplicateError{Earlier: earlier}
		a.Outcome, a.RefusedReason, a.CompletedAt, a.DuplicateOf = Refused, ReasonDuplicate, a.CreatedAt, holder
	} else if replaceable != "" {
		if _, err := tx.ExecContext(ctx, t.db.Rebind("UPDATE audit_attempts SET confirmed_by = ? WHERE id = ?"), a.ID, confirming); err != nil {
			return Attempt{}, fmt.Errorf("audit: record the answer to refusal %s: %w", confirming, err)
		}
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind(insertAttempt), attemptArgs(a)...); err != nil {
		return Attempt{}, fmt.Errorf("audit: record attempt on device %s: %w", a.DeviceID, err)
	}
	if dup != nil {
		if err := t.recordEvent(ctx, tx, EventRefused, a); err != nil {
			return Attempt{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Attempt{}, fmt.Errorf("audit: commit attempt on device %s: %w", a.DeviceID, err)
	}
	if dup != nil {
		return a, dup
	}
	return a, nil
}

// replaceable is the attempt that a's confirmation of refusal lets it take
// the device from, or "" (which no claim names) when the refusal is not
// one a may answer. Whether that attempt still holds the device is the
// claim's own condition, checked under the claim row's lock: the first of
// several answers to one refusal takes the device, and the others find it
// held by that answer.
func (t *Trail) replaceable(ctx context.Context, tx *sql.Tx, a Attempt, refusal string) (string, error) {
	if refusal == "" {
		return "", nil
	}
	var earlier string
	// The attempt deferred to must have its answer: a request still on its
	// way to Intune is never replaced by a second one.
	err := tx.QueryRowContext(ctx, t.db.Rebind(`SELECT r.duplicate_of FROM audit_attempts r
		WHERE r.id = ? AND r.outcome = 'refused' AND r.refused_reason = ? AND r.confirmed_by = ''
		AND r.technician_key = ? AND r.device_id = ? AND r.created_at >= ?
		AND EXISTS (SELECT 1 FROM audit_attempts e WHERE e.id = r.duplicate_of AND e.outcome <> 'pending')`),
		refusal, ReasonDuplicate, a.TechnicianKey, a.DeviceID, toMillis(a.CreatedAt.Add(-ConfirmWithin))).Scan(&earlier)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit: read refusal %s: %w", refusal, err)
	}
	return earlier, nil
}

// Refuse records an attempt refused before it reached the duplicate guard,
// for ReasonRateLimit or ReasonWriteBudget.
func (t *Trail) Refuse(ctx context.Context, a Attempt, reason string) (Attempt, error) {
	if reason != ReasonRateLimit && reason != ReasonWriteBudget {
		return Attempt{}, fmt.Errorf("audit: refuse: unknown reason %q", reason)
	}
	a = t.stamp(a)
	a.Outcome, a.RefusedReason, a.CompletedAt = Refused, reason, a.CreatedAt
	err := t.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, t.db.Rebind(insertAttempt), attemptArgs(a)...); err != nil {
			return fmt.Errorf("audit: record refusal on device %s: %w", a.DeviceID, err)
		}
		return t.recordEvent(ctx, tx, EventRefused, a)
	})
	if err != nil {
		return Attempt{}, err
	}
	return a, nil
}

// inTx runs f in a transaction, committed when f returns nil.
func (t *Trail) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: begin a transaction: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	return nil
}

// stamp sets the fields of a new attempt that the trail, not the caller,
// decides.
func (t *Trail) stamp(a Attempt) Attempt {
	a.ID = newID()
	a.CreatedAt = t.clock()
	a.CompletedAt = time.Time{}
	a.RefusedReason = ""
	a.Instance = t.instance
	return a
}

// Completion is what became of a pending attempt.
type Completion struct {
	Outcome         Outcome // Succeeded, Failed, Unknown, or Refused with RefusedReason
	RefusedReason   string  // ReasonWriteBudget: waited its turn for MAX_WAIT and gave up
	FallbackRoute   int
	GraphStatus     int
	GraphErrorCode  string
	GraphRequestID  string
	ClientRequestID string // when "", the one recorded at Begin is kept
	Duration        time.Duration
}

// Completed is a as Complete records it, completed at at: what a caller
// shows without reading the row back.
func (a Attempt) Completed(c Completion, at time.Time) Attempt {
	a.Outcome, a.RefusedReason, a.CompletedAt = c.Outcome, c.RefusedReason, at
	a.FallbackRoute, a.GraphStatus, a.GraphErrorCode, a.GraphRequestID = c.FallbackRoute, c.GraphStatus, c.GraphErrorCode, c.GraphRequestID
	if c.ClientRequestID != "" {
		a.ClientRequestID = c.ClientRequestID
	}
	a.Duration = c.Duration
	return a
}

// Complete records the outcome of a pending attempt. Only a pending row
// changes, so a recorded outcome is never rewritten: completing an attempt
// that is final (MarkStale may have got there first) returns ErrNotPending.
func (t *Trail) Complete(ctx context.Context, id string, c Completion) error {
	switch {
	case c.Outcome == Succeeded, c.Outcome == Failed, c.Outcome == Unknown:
		c.RefusedReason = ""
	case c.Outcome == Refused && c.RefusedReason == ReasonWriteBudget:
	default:
		return fmt.Errorf("audit: complete %s: %q is not a final outcome", id, c.Outcome)
	}
	var found bool
	err := t.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.db.Rebind(`UPDATE audit_attempts SET outcome = ?, refused_reason = ?, completed_at = ?,
			fallback_route = ?, graph_status = ?, graph_error_code = ?, graph_request_id = ?,
			client_request_id = COALESCE(NULLIF(?, ''), client_request_id), duration_ms = ?
			WHERE id = ? AND outcome = 'pending'`),
			string(c.Outcome), c.RefusedReason, toMillis(t.clock()), c.FallbackRoute, c.GraphStatus, storable(c.GraphErrorCode),
			storable(c.GraphRequestID), storable(c.ClientRequestID), c.Duration.Milliseconds(), id)
		if err != nil {
			return fmt.Errorf("audit: complete %s: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("audit: complete %s: %w", id, err)
		}
		if found = n == 1; !found || !t.ticketEvents {
			return nil
		}
		a, err := t.get(ctx, tx, id)
		if err != nil {
			return err
		}
		return t.recordEvent(ctx, tx, outcomeEvents[a.Outcome], a)
	})
	if err != nil || found {
		return err
	}
	if _, err := t.Get(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrNotPending, id)
}
