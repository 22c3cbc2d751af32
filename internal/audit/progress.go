package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The states of an attempt that did not get its answer at once.
const (
	// Queued: waiting for the shared write budget.
	Queued = "queued"
	// Retrying: Graph answered 429; the request goes again at RetryAt.
	Retrying = "retrying"
)

// Progress is where a waiting attempt stands, readable by every instance.
type Progress struct {
	State   string
	Since   time.Time
	RetryAt time.Time
}

// SetProgress records that the attempt is queued or retrying. Unlike the
// attempt itself, this changes as often as needed and goes at the end.
func (t *Trail) SetProgress(ctx context.Context, id, state string, retryAt time.Time) error {
	now := toMillis(t.clock())
	_, err := t.db.ExecContext(ctx, t.db.Rebind(`INSERT INTO attempt_progress (attempt_id, state, since, retry_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (attempt_id) DO UPDATE SET state = excluded.state, retry_at = excluded.retry_at`),
		id, state, now, toMillis(retryAt))
	if err != nil {
		return fmt.Errorf("audit: progress of %s: %w", id, err)
	}
	return nil
}

// ClearProgress forgets the progress of an attempt that is final.
func (t *Trail) ClearProgress(ctx context.Context, id string) error {
	if _, err := t.db.ExecContext(ctx, t.db.Rebind("DELETE FROM attempt_progress WHERE attempt_id = ?"), id); err != nil {
		return fmt.Errorf("audit: clear progress of %s: %w", id, err)
	}
	return nil
}

// ProgressOf returns the attempt's progress and, when queued, its place in
// the queue (1 is next); ok is false when it is not waiting.
func (t *Trail) ProgressOf(ctx context.Context, id string) (p Progress, position int, ok bool, err error) {
	var since, retryAt int64
	err = t.db.QueryRowContext(ctx, t.db.Rebind("SELECT state, since, retry_at FROM attempt_progress WHERE attempt_id = ?"), id).
		Scan(&p.State, &since, &retryAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Progress{}, 0, false, nil
	}
	if err != nil {
		return Progress{}, 0, false, fmt.Errorf("audit: progress of %s: %w", id, err)
	}
	p.Since, p.RetryAt = fromMillis(since), fromMillis(retryAt)
	if p.State == Queued {
		err = t.db.QueryRowContext(ctx, t.db.Rebind(
			"SELECT COUNT(*) FROM attempt_progress WHERE state = ? AND (since < ? OR (since = ? AND attempt_id <= ?))"),
			Queued, since, since, id).Scan(&position)
		if err != nil {
			return Progress{}, 0, false, fmt.Errorf("audit: queue position of %s: %w", id, err)
		}
	}
	return p, position, true, nil
}
