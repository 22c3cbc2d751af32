// Package writebudget keeps the portal's Graph writes under Intune's limit
// for one app in a tenant (200 per 20 s), counted in the database so that
// every instance shares one budget.
package writebudget

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/assistdesk/assistdesk/internal/store"
)

// Window is Intune's throttling window for writes.
const Window = 20 * time.Second

// Transit is how long after its slot is taken a write may still be on its
// way to Graph: the commit, a busy CPU, the request itself. Sends are
// counted over the window plus Transit, so that two sends Graph receives
// within one window were always counted together here, even when the
// earlier one travelled longer. Without it, queued attempts that take each
// slot the moment it frees put a few writes over the limit at Graph
// (measured by make bench: 214 of a 200 budget in one 20 s window).
const Transit = time.Second

// Budget allows at most Limit sends in any window plus Transit.
type Budget struct {
	db     *store.DB
	limit  int
	window time.Duration
	now    func() time.Time
}

// New is a budget of limit writes per window.
func New(db *store.DB, limit int, window time.Duration, now func() time.Time) *Budget {
	return &Budget{db: db, limit: limit, window: window + Transit, now: now}
}

// Take claims one send for attemptID. When the window is full it claims
// nothing and says how long until a send leaves the window. A sliding log,
// not a token bucket: a bucket lets twice its size through in one window.
func (b *Budget) Take(ctx context.Context, attemptID string) (bool, time.Duration, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, fmt.Errorf("writebudget: begin: %w", err)
	}
	defer tx.Rollback()
	// SQLite's transactions here are IMMEDIATE and so already one at a time;
	// PostgreSQL needs the row lock.
	if b.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT id FROM write_budget_lock WHERE id = 1 FOR UPDATE"); err != nil {
			return false, 0, fmt.Errorf("writebudget: lock: %w", err)
		}
	}
	now := b.now().UnixMilli()
	from := now - b.window.Milliseconds()
	if _, err := tx.ExecContext(ctx, b.db.Rebind("DELETE FROM write_budget_sends WHERE sent_at <= ?"), from); err != nil {
		return false, 0, fmt.Errorf("writebudget: prune: %w", err)
	}
	var sent int
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), MIN(sent_at) FROM write_budget_sends").Scan(&sent, &oldest); err != nil {
		return false, 0, fmt.Errorf("writebudget: count: %w", err)
	}
	if sent >= b.limit {
		wait := time.Duration(oldest.Int64+b.window.Milliseconds()-now) * time.Millisecond
		return false, max(wait, time.Millisecond), nil
	}
	if _, err := tx.ExecContext(ctx, b.db.Rebind("INSERT INTO write_budget_sends (sent_at, attempt_id) VALUES (?, ?)"), now, attemptID); err != nil {
		return false, 0, fmt.Errorf("writebudget: record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, 0, fmt.Errorf("writebudget: commit: %w", err)
	}
	return true, 0, nil
}
