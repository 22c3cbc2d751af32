package readbudget

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a time the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func open(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteURL(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "r.db") }

// admitted counts the reads n callers got admitted, spread over budgets.
func admitted(t *testing.T, ctx context.Context, n int, budgets ...*Budget) int {
	t.Helper()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var busy *Busy
			switch err := budgets[i%len(budgets)].Admit(ctx); {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &busy):
				if busy.RetryAfter <= 0 {
					t.Errorf("busy with RetryAfter %s", busy.RetryAfter)
				}
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return int(ok.Load())
}

func TestInstancesShareOneBudget(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":   sqliteURL,
		"postgres": func(t *testing.T) string { return pgtest.Start(t) },
	} {
		t.Run(name, func(t *testing.T) {
			u := url(t)
			c := newClock()
			a, b := New(open(t, u), 20, Window, c.Now), New(open(t, u), 20, Window, c.Now)
			// The clock stands still, so a full budget answers Busy at once
			// instead of waiting.
			if n := admitted(t, context.Background(), 200, a, b); n != 20 {
				t.Fatalf("%d reads admitted by two instances, want the budget's 20", n)
			}
			// Graph still counts them until a window, the spend time and
			// the transit have passed since their lease. (Background reads:
			// they do not wait, and this clock would never free a slot.)
			c.advance(Window)
			if n := admitted(t, Background(context.Background()), 10, a, b); n != 0 {
				t.Fatalf("%d reads admitted before the leases left the window", n)
			}
			c.advance(Spend + Transit)
			if n := admitted(t, context.Background(), 10, a, b); n != 10 {
				t.Fatalf("%d reads admitted once the window moved on, want 10", n)
			}
		})
	}
}

func TestBusySaysWhenASlotFrees(t *testing.T) {
	c := newClock()
	b := New(open(t, sqliteURL(t)), 4, Window, c.Now)
	if n := admitted(t, context.Background(), 4, b); n != 4 {
		t.Fatalf("%d of 4 admitted", n)
	}
	c.advance(5 * time.Second)
	var busy *Busy
	if err := b.Admit(context.Background()); !errors.As(err, &busy) || busy.RetryAfter != Window+Spend+Transit-5*time.Second {
		t.Fatalf("a fifth read: %v, want Busy for %s", err, Window+Spend+Transit-5*time.Second)
	}
}

func TestBackgroundReadsLeaveTheReserveToPages(t *testing.T) {
	c := newClock()
	b := New(open(t, sqliteURL(t)), 20, Window, c.Now)
	background := Background(context.Background())
	if n := admitted(t, background, 40, b); n != 15 {
		t.Fatalf("%d background reads admitted, want 15 of 20: a quarter is kept for pages", n)
	}
	if n := admitted(t, context.Background(), 40, b); n != 5 {
		t.Fatalf("%d page reads admitted after the background ones, want the reserve's 5", n)
	}
}

func TestSlotsInHandExpire(t *testing.T) {
	c := newClock()
	db := open(t, sqliteURL(t))
	b := New(db, 100, Window, c.Now)
	if err := b.Admit(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.advance(Spend)
	if err := b.Admit(context.Background()); err != nil {
		t.Fatal(err)
	}
	var leases int
	if err := db.QueryRow("SELECT COUNT(*) FROM read_budget_leases").Scan(&leases); err != nil {
		t.Fatal(err)
	}
	if leases != 2 {
		t.Fatalf("%d leases, want 2: slots are not spent after Spend", leases)
	}
}

func TestLeasesFollowThePace(t *testing.T) {
	c := newClock()
	db := open(t, sqliteURL(t))
	b := New(db, 2000, Window, c.Now)
	leases := func() int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM read_budget_leases").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A busy instance: 200 reads ask the database a handful of times.
	if n := admitted(t, context.Background(), 200, b); n != 200 {
		t.Fatalf("%d of 200 admitted", n)
	}
	if n := leases(); n > 10 {
		t.Fatalf("%d leases for 200 reads: one transaction per read or close to it", n)
	}
	// Then one read a second: the lease shrinks back to the minimum.
	for range 10 {
		c.advance(Spend)
		if err := b.Admit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if b.size != minLease {
		t.Fatalf("lease size %d after ten idle seconds, want %d", b.size, minLease)
	}
}

func TestAPageReadWaitsBrieflyForASlot(t *testing.T) {
	// A real clock: the read sleeps until the oldest lease leaves the
	// span, which here is 100 ms + Spend + Transit.
	b := New(open(t, sqliteURL(t)), 2, 100*time.Millisecond, time.Now)
	if n := admitted(t, context.Background(), 2, b); n != 2 {
		t.Fatalf("%d of 2 admitted", n)
	}
	time.Sleep(500 * time.Millisecond)
	started := time.Now()
	if err := b.Admit(context.Background()); err != nil {
		t.Fatalf("a read within MaxWait of a free slot: %v", err)
	}
	if waited := time.Since(started); waited < time.Second {
		t.Fatalf("admitted after %s, before the slot was free", waited)
	}
}

func TestBackgroundReadsNeverSpendSlotsLeasedForPages(t *testing.T) {
	c := newClock()
	db := open(t, sqliteURL(t))
	b := New(db, 2000, Window, c.Now)
	if err := b.Admit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Admit(Background(context.Background())); err != nil {
		t.Fatal(err)
	}
	var leases, slots int
	if err := db.QueryRow("SELECT COUNT(*), SUM(slots) FROM read_budget_leases").Scan(&leases, &slots); err != nil {
		t.Fatal(err)
	}
	if leases != 2 || b.left != slots-2 {
		t.Fatalf("%d leases of %d slots, %d in hand: the background read took a page's slot", leases, slots, b.left)
	}
}

func TestRefusedReadsDoNotAskTheDatabaseAgainUntilASlotCanFree(t *testing.T) {
	c := newClock()
	db := open(t, sqliteURL(t))
	b := New(db, 2, Window, c.Now)
	if n := admitted(t, context.Background(), 3, b); n != 2 {
		t.Fatalf("%d of 2 admitted", n)
	}
	// The database is gone: only a read that asks it can tell.
	db.Close()
	var busy *Busy
	for _, ctx := range []context.Context{context.Background(), Background(context.Background())} {
		if err := b.Admit(ctx); !errors.As(err, &busy) {
			t.Fatalf("a read while the budget is known spent: %v, want Busy without a query", err)
		}
	}
	c.advance(Window + Spend + Transit)
	if err := b.Admit(context.Background()); err == nil || errors.As(err, &busy) {
		t.Fatalf("a read once a slot can free: %v, want the database's error", err)
	}
}

func TestAPageReadWaitsForItsTurnNoLongerThanMaxWait(t *testing.T) {
	b := New(open(t, sqliteURL(t)), 100, Window, time.Now)
	b.leasing <- struct{}{} // another read holds the turn for the database, and keeps it
	started := time.Now()
	var busy *Busy
	if err := b.Admit(context.Background()); !errors.As(err, &busy) || busy.RetryAfter <= 0 {
		t.Fatalf("a read that never got its turn: %v, want Busy", err)
	}
	if waited := time.Since(started); waited < MaxWait || waited > MaxWait+time.Second {
		t.Fatalf("gave up after %s, want MaxWait (%s)", waited, MaxWait)
	}
}
