package audit

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestBeginThenComplete(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		req := request("dev-1")
		req.ClientRequestID = "c0ffee00-0000-4000-8000-000000000001"

		begun, err := trail.Begin(ctx, req, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if begun.ID == "" || begun.Outcome != Pending || begun.Instance != "instance-a" ||
			!begun.CreatedAt.Equal(clock.Now()) || !begun.CompletedAt.IsZero() {
			t.Fatalf("begun attempt %+v", begun)
		}
		if got, err := trail.Get(ctx, begun.ID); err != nil || !reflect.DeepEqual(got, begun) {
			t.Fatalf("stored pending attempt\n got %+v, %v\nwant %+v", got, err, begun)
		}

		clock.Advance(1500 * time.Millisecond)
		err = trail.Complete(ctx, begun.ID, Completion{Outcome: Failed, FallbackRoute: 2, GraphStatus: 400,
			GraphErrorCode: "BadRequest", GraphRequestID: "req-9", Duration: 1500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		want := begun
		want.Outcome, want.CompletedAt, want.FallbackRoute, want.GraphStatus = Failed, clock.Now(), 2, 400
		want.GraphErrorCode, want.GraphRequestID, want.Duration = "BadRequest", "req-9", 1500*time.Millisecond
		if got, err := trail.Get(ctx, begun.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("completed attempt\n got %+v, %v\nwant %+v", got, err, want)
		}
	})
}

func TestCompleteChangesOnlyPendingAttempts(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		begun, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := trail.Complete(ctx, begun.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err != nil {
			t.Fatal(err)
		}
		refused, err := trail.Refuse(ctx, request("dev-2"), ReasonRateLimit)
		if err != nil {
			t.Fatal(err)
		}

		for _, id := range []string{begun.ID, refused.ID} {
			before, _ := trail.Get(ctx, id)
			clock.Advance(time.Second)
			err := trail.Complete(ctx, id, Completion{Outcome: Failed, GraphStatus: 500, GraphErrorCode: "X"})
			if !errors.Is(err, ErrNotPending) {
				t.Errorf("completing final attempt %s: %v, want ErrNotPending", before.Outcome, err)
			}
			if after, _ := trail.Get(ctx, id); !reflect.DeepEqual(after, before) {
				t.Errorf("final attempt changed\nbefore %+v\n after %+v", before, after)
			}
		}
		if err := trail.Complete(ctx, "no-such-id", Completion{Outcome: Succeeded}); !errors.Is(err, ErrNotFound) {
			t.Errorf("completing an unknown id: %v, want ErrNotFound", err)
		}
		for _, o := range []Outcome{Pending, Refused, "bogus"} {
			if err := trail.Complete(ctx, begun.ID, Completion{Outcome: o}); err == nil || errors.Is(err, ErrNotPending) {
				t.Errorf("completing with outcome %q: %v", o, err)
			}
		}
	})
}

func TestRefuseRecordsAFinalAttempt(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		refused, err := trail.Refuse(ctx, request("dev-1"), ReasonWriteBudget)
		if err != nil {
			t.Fatal(err)
		}
		got, err := trail.Get(ctx, refused.ID)
		if err != nil || got.Outcome != Refused || got.RefusedReason != ReasonWriteBudget ||
			!got.CompletedAt.Equal(clock.Now()) || got.DeviceID != "dev-1" {
			t.Fatalf("refused attempt %+v, %v", got, err)
		}
		if _, err := trail.Refuse(ctx, request("dev-1"), ReasonDuplicate); err == nil {
			t.Error("Refuse accepted the duplicate reason, which only Begin's guard decides")
		}
		// A refusal before the guard does not claim the device.
		if _, err := trail.Begin(ctx, request("dev-1"), time.Minute, ""); err != nil {
			t.Errorf("begin after a rate-limit refusal: %v", err)
		}
	})
}

// A caller calls Graph only when Begin has recorded the attempt.
func TestBeginFailsWhenItCannotRecord(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		db := openDB(t, url)
		trail := New(db, "instance-a", nil)
		if _, err := trail.Begin(context.Background(), request(""), time.Minute, ""); err == nil {
			t.Error("Begin without a device id succeeded")
		}
		db.Close()
		if _, err := trail.Begin(context.Background(), request("dev-1"), time.Minute, ""); err == nil {
			t.Error("Begin on a closed database succeeded")
		}
	})
}

// Names come from Graph and the browser, and PostgreSQL stores no NUL and
// no bytes that are not UTF-8 in text: a device named so in Intune must
// not make its requests unrecordable. The trail keeps the rest of the name.
func TestANameThatIsNotStorableTextIsRecordedAsText(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx := context.Background()
		trail := New(openDB(t, url), "instance-a", newClock().Now)
		r := request("dev-nul")
		r.DeviceName, r.UserName, r.UserAgent = "LAPTOP\x00-7", "Grace\xffHopper", "agent\x00"
		a, err := trail.Begin(ctx, r, time.Minute, "")
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		got, err := trail.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DeviceName != "LAPTOP-7" || got.UserName != "Grace\uFFFDHopper" || got.UserAgent != "agent" {
			t.Fatalf("recorded %q, %q, %q", got.DeviceName, got.UserName, got.UserAgent)
		}
	})
}
