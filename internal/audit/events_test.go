package audit

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// eventsOf reads the events written for an attempt, oldest first.
func eventsOf(t *testing.T, trail *Trail, attemptID string) []Event {
	t.Helper()
	rows, err := trail.db.QueryContext(context.Background(), trail.db.Rebind(
		"SELECT payload FROM ticket_events WHERE attempt_id = ? ORDER BY created_at, id"), attemptID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var e Event
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func types(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

// Every outcome of a request with a ticket writes its event, and what the
// device showed afterwards too; a request without a ticket, or a trail
// that does not write them, writes none.
func TestEveryOutcomeOfATicketedRequestWritesItsEvent(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		trail.WriteTicketEvents()
		ticketed := request("dev-1")
		ticketed.UserName, ticketed.UserUPN, ticketed.DeviceOS = "Grace Hopper", "grace@contoso.example", "Windows"

		a, err := trail.Begin(ctx, ticketed, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		dup, err := trail.Begin(ctx, ticketed, time.Minute, "")
		if !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
		if err := trail.Complete(ctx, a.ID, Completion{Outcome: Succeeded, GraphStatus: 204, GraphRequestID: "rid-1", FallbackRoute: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := trail.SetSession(ctx, a.ID, Session{State: SessionWaiting}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if _, err := trail.SetSession(ctx, a.ID, Session{State: SessionReady}); err != nil {
			t.Fatal(err)
		}
		if got := types(eventsOf(t, trail, a.ID)); !slices.Equal(got, []string{EventSucceeded, EventSessionReady}) {
			t.Fatalf("the request's events %v", got)
		}
		if got := types(eventsOf(t, trail, dup.ID)); !slices.Equal(got, []string{EventRefused}) {
			t.Fatalf("the duplicate's events %v", got)
		}
		e := eventsOf(t, trail, a.ID)[0]
		d := e.Data
		if d.SchemaVersion != 1 || d.AttemptID != a.ID || d.Ticket != "INC0012345" || d.Technician.UPN != "ada@contoso.example" ||
			d.User.Name != "Grace Hopper" || d.Device.ID != "dev-1" || d.Device.OS != "Windows" || d.Route.From != "user_page" ||
			d.Route.Fallback != 2 || d.Outcome != "succeeded" || d.Graph.Status != 204 || d.Graph.RequestID != "rid-1" ||
			d.CompletedAt == nil || d.Instance != "instance-a" {
			t.Fatalf("the event says %+v", d)
		}

		limited, err := trail.Refuse(ctx, request("dev-2"), ReasonRateLimit)
		if err != nil {
			t.Fatal(err)
		}
		stale, err := trail.Begin(ctx, request("dev-3"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if _, err := trail.MarkStale(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{limited.ID: EventRefused, stale.ID: EventUnknown} {
			if got := types(eventsOf(t, trail, id)); !slices.Equal(got, []string{want}) {
				t.Errorf("attempt %s wrote %v, want %s", id, got, want)
			}
		}

		quiet := request("dev-4")
		quiet.Ticket = ""
		q, err := trail.Begin(ctx, quiet, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := trail.Complete(ctx, q.ID, Completion{Outcome: Failed, GraphStatus: 403}); err != nil {
			t.Fatal(err)
		}
		off := New(trail.db, "instance-b", clock.Now)
		o, err := off.Begin(ctx, request("dev-5"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := off.Complete(ctx, o.ID, Completion{Outcome: Failed, GraphStatus: 403}); err != nil {
			t.Fatal(err)
		}
		if n := len(eventsOf(t, trail, q.ID)) + len(eventsOf(t, trail, o.ID)); n != 0 {
			t.Fatalf("%d events without a ticket or without write-back", n)
		}
	})
}

// The event is written in the transaction that records the outcome: when
// it cannot be written, the outcome is not recorded either, so neither is
// ever lost without the other.
func TestAnOutcomeAndItsEventAreRecordedTogether(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := openDB(t, url)
		trail := New(db, "instance-a", newClock().Now)
		trail.WriteTicketEvents()
		a, err := trail.Begin(ctx, request("dev-1"), time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "ALTER TABLE ticket_events RENAME TO ticket_events_away"); err != nil {
			t.Fatal(err)
		}
		if err := trail.Complete(ctx, a.ID, Completion{Outcome: Succeeded, GraphStatus: 204}); err == nil {
			t.Fatal("the outcome was recorded without its event")
		}
		if _, err := db.ExecContext(ctx, "ALTER TABLE ticket_events_away RENAME TO ticket_events"); err != nil {
			t.Fatal(err)
		}
		if got, _ := trail.Get(ctx, a.ID); got.Outcome != Pending {
			t.Fatalf("the attempt is %s, want still pending", got.Outcome)
		}
	})
}

// Events are leased to one instance at a time; a lease that runs out
// lets another instance take the event; a settled event is not taken again.
func TestEventsAreTakenByOneInstanceAtATime(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trails := [2]*Trail{New(openDB(t, url), "instance-a", clock.Now), New(openDB(t, url), "instance-b", clock.Now)}
		trails[0].WriteTicketEvents()
		var want []string
		for i := range 40 {
			a, err := trails[0].Refuse(ctx, request("dev-"+string(rune('a'+i))), ReasonRateLimit)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, a.ID)
		}
		var (
			mu    sync.Mutex
			taken = map[string]int{}
			wg    sync.WaitGroup
		)
		for i := range 8 {
			wg.Go(func() {
				for {
					events, err := trails[i%2].TakeEvents(ctx, 3, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(events) == 0 {
						return
					}
					mu.Lock()
					for _, e := range events {
						taken[e.AttemptID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for _, id := range want {
			if taken[id] != 1 {
				t.Fatalf("attempt %s's event was taken %d times, want once", id, taken[id])
			}
		}
		// A lease that runs out frees the event for another instance;
		// settled events stay settled.
		clock.Advance(2 * time.Minute)
		again, err := trails[1].TakeEvents(ctx, 100, time.Minute)
		if err != nil || len(again) != 40 || again[0].Tries != 2 {
			t.Fatalf("after the leases ran out: %d events, %v", len(again), err)
		}
		for i, e := range again {
			switch {
			case i < 10:
				err = trails[1].EventDelivered(ctx, e.ID, 200)
			case i < 20:
				err = trails[1].EventFailed(ctx, e.ID, 410, "HTTP 410 Gone")
			default:
				err = trails[1].EventRetry(ctx, e.ID, 503, "HTTP 503", clock.Now().Add(time.Hour))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(2 * time.Minute)
		if due, _ := trails[0].TakeEvents(ctx, 100, time.Minute); len(due) != 0 {
			t.Fatalf("%d events taken before they are due again", len(due))
		}
		if n, err := trails[0].EventsPending(ctx); err != nil || n != 20 {
			t.Fatalf("%d pending, %v; want the 20 to retry", n, err)
		}
		// The trail sums up each attempt's delivery.
		states := map[string]int{}
		for _, e := range again {
			a, err := trails[0].Get(ctx, e.AttemptID)
			if err != nil {
				t.Fatal(err)
			}
			states[a.TicketDelivery.State]++
			if a.TicketDelivery.State == "failed" && a.TicketDelivery.Status != 410 {
				t.Errorf("a failed delivery shows status %d", a.TicketDelivery.Status)
			}
		}
		if states["delivered"] != 10 || states["failed"] != 10 || states["pending"] != 20 {
			t.Fatalf("delivery states %v", states)
		}
	})
}
