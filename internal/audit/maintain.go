package audit

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// MarkStale marks Unknown the attempts still pending olderThan after they
// began: their instance stopped between recording the attempt and its
// outcome, so Graph may or may not have been called. olderThan must exceed
// the longest an assistance request can run, or a slow request's outcome
// is refused by Complete. Every instance runs it; the update is
// conditional on pending, so they never undo one another. It returns how
// many attempts it marked.
func (t *Trail) MarkStale(ctx context.Context, olderThan time.Duration) (int, error) {
	now := t.clock()
	n := 0
	err := t.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, t.db.Rebind(`UPDATE audit_attempts SET outcome = ?, completed_at = ?
			WHERE outcome = 'pending' AND created_at < ? RETURNING id, ticket`),
			string(Unknown), toMillis(now), toMillis(now.Add(-olderThan)))
		if err != nil {
			return fmt.Errorf("audit: mark stale attempts: %w", err)
		}
		var ticketed []string
		for rows.Next() {
			var id, ticket string
			if err := rows.Scan(&id, &ticket); err != nil {
				rows.Close()
				return fmt.Errorf("audit: mark stale attempts: %w", err)
			}
			n++
			if ticket != "" {
				ticketed = append(ticketed, id)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("audit: mark stale attempts: %w", err)
		}
		for _, id := range ticketed {
			a, err := t.get(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := t.recordEvent(ctx, tx, EventUnknown, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Purge deletes the attempts that began more than retention ago — the only
// way an attempt is ever deleted — and records the purge in audit_purges,
// in the same transaction, so that no row disappears without a trace.
// Device claims and ticket events that old go too: they can no longer
// refuse anything, nor tell a ticket anything new. A
// purge that deletes nothing is not recorded, or every instance would add
// a row a minute. It returns how many attempts it deleted.
func (t *Trail) Purge(ctx context.Context, retention time.Duration) (int, error) {
	now := t.clock()
	cutoff := toMillis(now.Add(-retention))
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("audit: purge: %w", err)
	}
	defer tx.Rollback() // undoes everything on an early return; a no-op after Commit
	res, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM audit_attempts WHERE created_at < ?"), cutoff)
	if err != nil {
		return 0, fmt.Errorf("audit: purge: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("audit: purge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM device_claims WHERE claimed_at < ?"), cutoff); err != nil {
		return 0, fmt.Errorf("audit: purge device claims: %w", err)
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM ticket_events WHERE created_at < ?"), cutoff); err != nil {
		return 0, fmt.Errorf("audit: purge ticket events: %w", err)
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, t.db.Rebind(`INSERT INTO audit_purges (purged_at, instance, cutoff, rows_deleted)
			VALUES (?, ?, ?, ?)`), toMillis(now), t.instance, cutoff, n); err != nil {
			return 0, fmt.Errorf("audit: record purge: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("audit: purge: %w", err)
	}
	return int(n), nil
}

// Run marks stale attempts and purges old ones now and then every interval
// until ctx ends. Work done is logged (stale attempts as a warning: an
// instance died mid-request), and a failure is logged and retried at the
// next tick rather than stopping the loop.
func (t *Trail) Run(ctx context.Context, interval, staleAfter, retention time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if n, err := t.MarkStale(ctx, staleAfter); err != nil && ctx.Err() == nil {
			logger.LogAttrs(ctx, slog.LevelError, "audit: mark stale attempts failed", slog.Any("error", err))
		} else if n > 0 {
			logger.LogAttrs(ctx, slog.LevelWarn, "audit: pending attempts marked unknown",
				slog.Int("attempts", n), slog.Duration("stale_after", staleAfter))
		}
		if n, err := t.Purge(ctx, retention); err != nil && ctx.Err() == nil {
			logger.LogAttrs(ctx, slog.LevelError, "audit: purge failed", slog.Any("error", err))
		} else if n > 0 {
			logger.LogAttrs(ctx, slog.LevelInfo, "audit: purged old attempts",
				slog.Int("attempts", n), slog.Duration("retention", retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
