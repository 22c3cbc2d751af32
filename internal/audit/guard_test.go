package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestDuplicateGuard(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		first, err := trail.Begin(ctx, request("dev-1"), time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}

		clock.Advance(59 * time.Second)
		other := request("dev-1")
		other.TechnicianUPN, other.TechnicianKey = "grace@contoso.example", "tech-grace"
		refused, err := trail.Begin(ctx, other, time.Minute, false)
		var dup *DuplicateError
		if !errors.Is(err, ErrDuplicate) || !errors.As(err, &dup) {
			t.Fatalf("second begin within the window: %v", err)
		}
		if dup.Earlier.ID != first.ID || dup.Earlier.TechnicianUPN != "ada@contoso.example" ||
			!dup.Earlier.CreatedAt.Equal(first.CreatedAt) || dup.Earlier.Outcome != Pending {
			t.Errorf("earlier attempt %+v, want %+v", dup.Earlier, first)
		}
		if got, err := trail.Get(ctx, refused.ID); err != nil || got.Outcome != Refused ||
			got.RefusedReason != ReasonDuplicate || got.TechnicianUPN != "grace@contoso.example" {
			t.Errorf("refused duplicate recorded as %+v, %v", got, err)
		}
		if _, err := trail.Begin(ctx, request("dev-2"), time.Minute, false); err != nil {
			t.Errorf("another device was refused: %v", err)
		}

		clock.Advance(time.Second) // a full window after the first
		second, err := trail.Begin(ctx, request("dev-1"), time.Minute, false)
		if err != nil {
			t.Fatalf("begin once the window has passed: %v", err)
		}

		clock.Advance(time.Second)
		forced, err := trail.Begin(ctx, request("dev-1"), time.Minute, true)
		if err != nil {
			t.Fatalf("forced begin within the window: %v", err)
		}
		// Forcing takes the claim: the window now runs from the forced attempt.
		clock.Advance(59 * time.Second)
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, false); !errors.As(err, &dup) || dup.Earlier.ID != forced.ID {
			t.Errorf("begin within the window of a forced attempt: %v (earlier %s, want %s, not %s)",
				err, dup.Earlier.ID, forced.ID, second.ID)
		}
	})
}

// Two instances, each with its own connection pool, begin on the same
// device at the same moment: the database must let exactly one through.
// Even rounds race for a device nobody has claimed, odd rounds for one
// whose claim has expired.
func TestConcurrentBeginsOnTwoInstancesLetOneThrough(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trails := [2]*Trail{New(openDB(t, url), "instance-a", clock.Now), New(openDB(t, url), "instance-b", clock.Now)}
		for round := range 20 {
			clock.Advance(2 * time.Minute)
			device := fmt.Sprintf("dev-%d", round/2)
			var (
				start = make(chan struct{})
				wg    sync.WaitGroup
				got   [2]Attempt
				errs  [2]error
			)
			for i, trail := range trails {
				wg.Go(func() {
					<-start
					got[i], errs[i] = trail.Begin(ctx, request(device), time.Minute, false)
				})
			}
			close(start)
			wg.Wait()

			winner, loser := 0, 1
			if errs[0] != nil {
				winner, loser = 1, 0
			}
			var dup *DuplicateError
			if errs[winner] != nil || !errors.As(errs[loser], &dup) {
				t.Fatalf("round %d: errors %v, %v; want exactly one duplicate", round, errs[0], errs[1])
			}
			if dup.Earlier.ID != got[winner].ID {
				t.Fatalf("round %d: refused in favour of %s, but %s went ahead", round, dup.Earlier.ID, got[winner].ID)
			}
		}
	})
}

func TestConcurrentBeginsOnDistinctDevicesAllProceed(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), openDB(t, url)
		trail := New(db, "instance-a", newClock().Now)
		const n = 200
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				if _, err := trail.Begin(ctx, request(fmt.Sprintf("dev-%d", i)), time.Minute, false); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var rows int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_attempts WHERE outcome = 'pending'").Scan(&rows); err != nil || rows != n {
			t.Fatalf("%d pending attempts (%v), want %d", rows, err, n)
		}
	})
}
