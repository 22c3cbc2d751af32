package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDuplicateGuard(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		first, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}

		clock.Advance(59 * time.Second)
		other := request("dev-1")
		other.TechnicianUPN, other.TechnicianKey = "grace@contoso.example", "tech-grace"
		refused, err := trail.Begin(ctx, other, time.Minute, "")
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
		if _, err := trail.Begin(ctx, request("dev-2"), time.Minute, ""); err != nil {
			t.Errorf("another device was refused: %v", err)
		}

		clock.Advance(time.Second) // a full window after the first
		second, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatalf("begin once the window has passed: %v", err)
		}

		clock.Advance(time.Second)
		again, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		var held *DuplicateError
		if !errors.As(err, &held) || again.DuplicateOf != second.ID {
			t.Fatalf("a begin within the window of the second: %v, refusal defers to %q, want %q", err, again.DuplicateOf, second.ID)
		}
		// While the second is on its way to Intune, nothing replaces it.
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, again.ID); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("a confirmation while the earlier request is pending: %v", err)
		}
		if err := trail.Complete(ctx, second.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		confirmed, err := trail.Begin(ctx, request("dev-1"), time.Minute, again.ID)
		if err != nil {
			t.Fatalf("the confirmed refusal was refused: %v", err)
		}
		if got, _ := trail.Get(ctx, again.ID); got.ConfirmedBy != confirmed.ID {
			t.Errorf("the refusal records confirmed_by %q, want %q", got.ConfirmedBy, confirmed.ID)
		}
		// Confirming takes the claim: the window now runs from the confirmed attempt.
		clock.Advance(59 * time.Second)
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, ""); !errors.As(err, &dup) || dup.Earlier.ID != confirmed.ID {
			t.Errorf("begin within the window of a confirmed attempt: %v (want it to defer to %s)", err, confirmed.ID)
		}
	})
}

// A "Request again" answers one refusal: of the technician and device it
// refused, once, soon after, and only while the attempt it deferred to
// still holds the device. Any other use is an ordinary request, which the
// guard refuses.
func TestConfirmationIsBoundToItsRefusal(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		refusal := func(device string) Attempt {
			t.Helper()
			clock.Advance(2 * time.Minute)
			first, err := trail.Begin(ctx, request(device), time.Minute, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := trail.Complete(ctx, first.ID, Completion{Outcome: Failed, GraphStatus: 503}); err != nil {
				t.Fatal(err)
			}
			r, err := trail.Begin(ctx, request(device), time.Minute, "")
			if !errors.Is(err, ErrDuplicate) {
				t.Fatalf("no refusal: %v", err)
			}
			return r
		}
		refused := func(what string, a Attempt, confirming string) {
			t.Helper()
			if _, err := trail.Begin(ctx, a, time.Minute, confirming); !errors.Is(err, ErrDuplicate) {
				t.Errorf("%s: went ahead (%v)", what, err)
			}
		}

		r := refusal("dev-1")
		// dev-2 is claimed too, so only a confirmation would let a request through.
		if _, err := trail.Begin(ctx, request("dev-2"), time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		other := request("dev-1")
		other.TechnicianKey = "tech-grace"
		refused("another technician's confirmation", other, r.ID)
		refused("a confirmation for another device", request("dev-2"), r.ID)
		refused("a made-up confirmation", request("dev-1"), "5f0c2d0e-0000-4000-8000-000000000000")
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, r.ID); err != nil {
			t.Fatalf("the technician's own confirmation: %v", err)
		}
		refused("the same confirmation twice", request("dev-1"), r.ID)

		late := refusal("dev-3")
		clock.Advance(ConfirmWithin + time.Second)
		// The window has passed too, so this one goes ahead as a new
		// request; what matters is that the late confirmation was not spent.
		if _, err := trail.Begin(ctx, request("dev-3"), time.Minute, late.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := trail.Get(ctx, late.ID); got.ConfirmedBy != "" {
			t.Errorf("a confirmation older than %s was spent", ConfirmWithin)
		}

		// Someone else's request came between the refusal and its answer:
		// the answer is to a device that changed hands, so it is refused.
		stale := refusal("dev-4")
		clock.Advance(61 * time.Second)
		if _, err := trail.Begin(ctx, request("dev-4"), time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		refused("a confirmation after the device changed hands", request("dev-4"), stale.ID)
	})
}

// Two hundred copies of one confirmation, sent at once to two instances,
// start exactly one request; so do two technicians confirming their own
// refusals of one device at the same moment.
func TestConcurrentConfirmationsLetOneThrough(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trails := [2]*Trail{New(openDB(t, url), "instance-a", clock.Now), New(openDB(t, url), "instance-b", clock.Now)}
		first, err := trails[0].Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := trails[0].Complete(ctx, first.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		r, err := trails[0].Begin(ctx, request("dev-1"), time.Minute, "")
		if !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
		grace := request("dev-1")
		grace.TechnicianKey = "tech-grace"
		rg, err := trails[1].Begin(ctx, grace, time.Minute, "")
		if !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}

		var (
			start = make(chan struct{})
			wg    sync.WaitGroup
			ahead atomic.Int32
		)
		for i := range 200 {
			a, confirming := request("dev-1"), r.ID
			if i == 100 {
				a, confirming = grace, rg.ID
			}
			wg.Go(func() {
				<-start
				if _, err := trails[i%2].Begin(ctx, a, time.Minute, confirming); err == nil {
					ahead.Add(1)
				} else if !errors.Is(err, ErrDuplicate) {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := ahead.Load(); n != 1 {
			t.Fatalf("%d requests went ahead, want 1", n)
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
					got[i], errs[i] = trail.Begin(ctx, request(device), time.Minute, "")
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
				if _, err := trail.Begin(ctx, request(fmt.Sprintf("dev-%d", i)), time.Minute, ""); err != nil {
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
