package audit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestMarkStaleTouchesOnlyOldPendingAttempts(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		orphan, _ := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		done, _ := trail.Begin(ctx, request("dev-2"), time.Minute, "")
		if err := trail.Complete(ctx, done.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Minute)
		fresh, _ := trail.Begin(ctx, request("dev-3"), time.Minute, "")
		doneBefore, _ := trail.Get(ctx, done.ID)

		if n, err := trail.MarkStale(ctx, 5*time.Minute); err != nil || n != 1 {
			t.Fatalf("MarkStale marked %d (%v), want 1", n, err)
		}
		if got, _ := trail.Get(ctx, orphan.ID); got.Outcome != Unknown || !got.CompletedAt.Equal(clock.Now()) {
			t.Errorf("orphaned attempt is %s completed %v, want unknown now", got.Outcome, got.CompletedAt)
		}
		if got, _ := trail.Get(ctx, done.ID); got != doneBefore {
			t.Errorf("completed attempt changed: %+v", got)
		}
		if got, _ := trail.Get(ctx, fresh.ID); got.Outcome != Pending {
			t.Errorf("recent pending attempt is %s", got.Outcome)
		}
		if n, err := trail.MarkStale(ctx, 5*time.Minute); err != nil || n != 0 {
			t.Errorf("second MarkStale marked %d (%v)", n, err)
		}
		if err := trail.Complete(ctx, orphan.ID, Completion{Outcome: Succeeded}); !errors.Is(err, ErrNotPending) {
			t.Errorf("late completion of a stale attempt: %v", err)
		}
	})
}

func TestPurgeDeletesOnlyOldAttemptsAndRecordsItself(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock, db := context.Background(), newClock(), openDB(t, url)
		trail := New(db, "instance-a", clock.Now)
		old1, _ := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		old2, _ := trail.Refuse(ctx, request("dev-2"), ReasonRateLimit)
		clock.Advance(300 * 24 * time.Hour)
		kept, _ := trail.Begin(ctx, request("dev-3"), time.Minute, "")
		clock.Advance(101 * 24 * time.Hour)

		const retention = 400 * 24 * time.Hour
		if n, err := trail.Purge(ctx, retention); err != nil || n != 2 {
			t.Fatalf("Purge deleted %d (%v), want 2", n, err)
		}
		for _, id := range []string{old1.ID, old2.ID} {
			if _, err := trail.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("old attempt %s: %v, want ErrNotFound", id, err)
			}
		}
		if _, err := trail.Get(ctx, kept.ID); err != nil {
			t.Errorf("recent attempt purged: %v", err)
		}
		if n, err := trail.Purge(ctx, retention); err != nil || n != 0 {
			t.Errorf("second Purge deleted %d (%v)", n, err)
		}

		var purgedAt, cutoff, deleted int64
		var instance string
		var purges int
		rows, err := db.QueryContext(ctx, "SELECT purged_at, instance, cutoff, rows_deleted FROM audit_purges")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			purges++
			if err := rows.Scan(&purgedAt, &instance, &cutoff, &deleted); err != nil {
				t.Fatal(err)
			}
		}
		if purges != 1 || purgedAt != toMillis(clock.Now()) || instance != "instance-a" ||
			cutoff != toMillis(clock.Now().Add(-retention)) || deleted != 2 {
			t.Errorf("audit_purges: %d rows, last (%d, %q, %d, %d)", purges, purgedAt, instance, cutoff, deleted)
		}
	})
}

func TestRunMarksPurgesAndLogs(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock, db := context.Background(), newClock(), openDB(t, url)
		trail := New(db, "instance-a", clock.Now)
		old, _ := trail.Refuse(ctx, request("dev-1"), ReasonRateLimit)
		clock.Advance(48 * time.Hour)
		orphan, _ := trail.Begin(ctx, request("dev-2"), time.Minute, "")
		clock.Advance(time.Hour)

		var logs bytes.Buffer
		runCtx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			trail.Run(runCtx, time.Millisecond, time.Minute, 24*time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
			close(stopped)
		}()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			_, errOld := trail.Get(ctx, old.ID)
			if o, _ := trail.Get(ctx, orphan.ID); o.Outcome == Unknown && errors.Is(errOld, ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Run neither marked the orphan nor purged the old attempt")
			}
		}
		cancel()
		<-stopped
		for _, want := range []string{"level=WARN msg=\"audit: pending attempts marked unknown\" attempts=1",
			"level=INFO msg=\"audit: purged old attempts\" attempts=1"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %s:\n%s", want, logs.String())
			}
		}

		db.Close()
		logs.Reset()
		// One pass, on a closed database, before the context ends.
		runCtx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		trail.Run(runCtx, time.Hour, time.Minute, 24*time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
		for _, want := range []string{"level=ERROR msg=\"audit: mark stale attempts failed\"", "level=ERROR msg=\"audit: purge failed\""} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("a failing pass did not log %s:\n%s", want, logs.String())
			}
		}
	})
}
