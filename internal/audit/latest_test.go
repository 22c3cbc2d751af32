package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A device shows its latest request: a refused duplicate or a
// rate-limited click is not one, a confirmed "Request again" is, and a
// device nobody asked for has none.
func TestLatestIsTheRequestThatHoldsTheDevice(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		first, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		refusal, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
		if _, err := trail.Refuse(ctx, request("dev-2"), ReasonRateLimit); err != nil {
			t.Fatal(err)
		}
		if err := trail.Complete(ctx, first.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		latest, err := trail.Latest(ctx, []string{"dev-1", "dev-2", "dev-3"})
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 1 || latest["dev-1"].ID != first.ID {
			t.Fatalf("latest %+v, want only dev-1's first request %s", latest, first.ID)
		}
		again, err := trail.Begin(ctx, request("dev-1"), time.Minute, refusal.ID)
		if err != nil {
			t.Fatal(err)
		}
		if latest, err = trail.Latest(ctx, []string{"dev-1"}); err != nil || latest["dev-1"].ID != again.ID {
			t.Fatalf("after Request again: %+v, %v; want %s", latest["dev-1"], err, again.ID)
		}
	})
}

// Long lists are read in chunks padded to powers of two; every device must
// still get its own request, and none another's.
func TestLatestOfManyDevices(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx := context.Background()
		trail := New(openDB(t, url), "instance-a", newClock().Now)
		var ids []string
		want := map[string]string{}
		for i := range 1100 {
			id := fmt.Sprintf("dev-%04d", i)
			ids = append(ids, id)
			if i%3 == 0 {
				a, err := trail.Begin(ctx, request(id), time.Minute, "")
				if err != nil {
					t.Fatal(err)
				}
				want[id] = a.ID
			}
		}
		latest, err := trail.Latest(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != len(want) {
			t.Fatalf("%d devices with a request, want %d", len(latest), len(want))
		}
		for id, a := range latest {
			if want[id] != a.ID || a.DeviceID != id {
				t.Fatalf("device %s shows attempt %s of %s, want %s", id, a.ID, a.DeviceID, want[id])
			}
		}
	})
}

func TestSetSessionRecordsChangesAndKeepsFinalStates(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		a, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if changed, err := trail.SetSession(ctx, a.ID, Session{State: SessionWaiting}); err != nil || changed {
			t.Fatalf("a pending attempt took a session state: %v, %v", changed, err)
		}
		if err := trail.Complete(ctx, a.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			s    Session
			want bool
		}{
			{Session{State: SessionWaiting}, true},
			{Session{State: SessionWaiting}, false},
			{Session{State: SessionFailed, Error: "The device did not respond."}, true},
			{Session{State: SessionReady}, false},
		}
		for i, step := range steps {
			clock.Advance(time.Second)
			changed, err := trail.SetSession(ctx, a.ID, step.s)
			if err != nil || changed != step.want {
				t.Fatalf("step %d (%s): changed %v, %v; want %v", i, step.s.State, changed, err, step.want)
			}
		}
		got, err := trail.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Session.State != SessionFailed || got.Session.Error != "The device did not respond." ||
			!got.Session.At.Equal(newClock().Now().Add(3*time.Second)) {
			t.Fatalf("session %+v, want the failure recorded at the third step", got.Session)
		}
	})
}

func TestRecentLeavesOutClicksThatNeverBecameRequests(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		first, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, ""); !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
		if _, err := trail.Refuse(ctx, request("dev-2"), ReasonRateLimit); err != nil {
			t.Fatal(err)
		}
		budget, err := trail.Refuse(ctx, request("dev-3"), ReasonWriteBudget)
		if err != nil {
			t.Fatal(err)
		}
		recent, err := trail.Recent(ctx, "tech-ada", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(recent) != 2 || recent[0].ID != budget.ID || recent[1].ID != first.ID {
			t.Fatalf("recent %+v, want the write-budget refusal and the first request", recent)
		}
	})
}
