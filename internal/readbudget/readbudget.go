// Package readbudget keeps the portal's reads of Intune under Intune's
// limit for one app in a tenant (2,000 requests per 20 s, writes included),
// counted in the database so that every instance shares one budget.
//
// A read per transaction would cost more than the read: an instance leases
// a few slots at a time instead and spends them within Spend. The lease size
// follows the instance's pace, so an idle instance holds next to nothing and
// a busy one asks the database a few times a second.
package readbudget

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/store"
)

const (
	// Window is Intune's throttling window.
	Window = 20 * time.Second
	// Spend is how long a lease's slots may be spent after it is granted.
	Spend = time.Second
	// Transit is how long a read may travel after its slot is spent before
	// Graph counts it (see writebudget.Transit).
	Transit = time.Second
	// MaxWait is how long a read a technician waits for may wait for a
	// slot; past it the page says Intune is busy rather than hang.
	MaxWait = 2 * time.Second
	// Reserve is the share of the budget (1/Reserve) only reads a
	// technician waits for may lease: background reads (the watch after a
	// request) stop short of it, so they never crowd out a page.
	Reserve = 4

	minLease = 2
	maxLease = 50
)

// Busy is the answer to a read the budget cannot admit now: nothing was
// asked of Intune.
type Busy struct {
	RetryAfter time.Duration
}

func (b *Busy) Error() string {
	return fmt.Sprintf("readbudget: the Intune read budget is spent; a slot frees in %s", b.RetryAfter)
}

type backgroundKey struct{}

// Background marks ctx's reads as background: nobody waits on them, so they
// do not wait for a slot, take one of their own rather than one leased for
// pages (one transaction each: they are few), and leave the reserve to
// those who wait.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// Budget admits at most limit reads in any window, across instances.
type Budget struct {
	db    *store.DB
	limit int
	span  time.Duration // the leases counted: a window, plus Spend and Transit
	now   func() time.Time

	leasing chan struct{} // one lease asked for at a time per instance

	mu    sync.Mutex
	until time.Time // when the slots in hand expire
	left  int       // slots in hand
	size  int       // slots the next lease asks for
	// spentUntil is when the oldest lease of the span leaves it, as the
	// last refused lease found: nothing frees a slot before, so until
	// then the pages waiting here do not each ask the database again.
	spentUntil time.Time
}

// New is a budget of limit reads per window.
func New(db *store.DB, limit int, window time.Duration, now func() time.Time) *Budget {
	// A read Graph counts at t was spent within Spend of its lease and
	// travelled at most Transit: the leases of any window Graph sees were
	// all granted within one span, so the span's sum is what Graph counts.
	return &Budget{db: db, limit: limit, span: window + Spend + Transit, now: now, size: minLease,
		leasing: make(chan struct{}, 1)}
}

// Admit takes one slot for a read. A read someone waits for waits up to
// MaxWait for one; a background read does not wait. Either gets *Busy when
// there is none.
func (b *Budget) Admit(ctx context.Context) error {
	if isBackground(ctx) {
		if wait := b.spent(); wait > 0 {
			return &Busy{RetryAfter: wait}
		}
		// Its own slot, below the reserve: never one leased for pages.
		_, wait, err := b.grant(ctx, 1, b.limit-b.limit/Reserve)
		if err == nil && wait > 0 {
			err = &Busy{RetryAfter: wait}
		}
		return err
	}
	// MaxWait bounds the whole wait, the turn for the database included:
	// near the limit many pages wait on one instance, and each lease then
	// brings a slot or two.
	waiting, cancel := context.WithTimeout(ctx, MaxWait)
	defer cancel()
	deadline := b.now().Add(MaxWait)
	for {
		if b.spend() {
			return nil
		}
		wait, err := b.lease(waiting)
		if err != nil && ctx.Err() == nil && waiting.Err() != nil {
			return &Busy{RetryAfter: max(b.spent(), time.Second)}
		}
		if err != nil {
			return err
		}
		if wait == 0 {
			continue
		}
		if b.now().Add(wait).After(deadline) {
			return &Busy{RetryAfter: wait}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// spend takes a slot in hand, if there is one.
func (b *Budget) spend() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left > 0 && b.now().Before(b.until) {
		b.left--
		return true
	}
	return false
}

// spent is how long until a slot can free, as the last refused lease found.
func (b *Budget) spent() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spentUntil.Sub(b.now())
}

// lease puts slots in hand for the reads pages wait for. It returns 0 when
// there are some (leased here or meanwhile by another caller), or how long
// until the oldest lease leaves the span.
func (b *Budget) lease(ctx context.Context) (time.Duration, error) {
	select {
	case b.leasing <- struct{}{}:
		defer func() { <-b.leasing }()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	b.mu.Lock()
	inHand := b.left > 0 && b.now().Before(b.until)
	// The pace decides the next size: slots spent before they expired
	// ask for twice as many, slots mostly left over for half.
	switch {
	case inHand:
	case b.left == 0:
		b.size = min(2*b.size, maxLease)
	case b.left > b.size/2:
		b.size = max(b.size/2, minLease)
	}
	size := b.size
	b.mu.Unlock()
	if inHand {
		return 0, nil
	}
	if wait := b.spent(); wait > 0 {
		return wait, nil
	}
	slots, wait, err := b.grant(ctx, size, b.limit)
	if err != nil {
		return 0, err
	}
	if wait > 0 {
		b.mu.Lock()
		b.spentUntil = b.now().Add(wait)
		b.mu.Unlock()
		return wait, nil
	}
	b.mu.Lock()
	b.until, b.left = b.now().Add(Spend), slots
	b.mu.Unlock()
	return 0, nil
}

// grant records a lease of up to want slots in the database, as long as
// the span's leases stay within allowed; when they would not, it grants
// nothing and says how long until the oldest lease leaves the span.
func (b *Budget) grant(ctx context.Context, want, allowed int) (int, time.Duration, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("readbudget: begin: %w", err)
	}
	defer tx.Rollback()
	// SQLite's transactions here are IMMEDIATE and so already one at a time;
	// PostgreSQL needs the row lock.
	if b.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT id FROM read_budget_lock WHERE id = 1 FOR UPDATE"); err != nil {
			return 0, 0, fmt.Errorf("readbudget: lock: %w", err)
		}
	}
	now := b.now()
	from := now.UnixMilli() - b.span.Milliseconds()
	if _, err := tx.ExecContext(ctx, b.db.Rebind("DELETE FROM read_budget_leases WHERE granted_at <= ?"), from); err != nil {
		return 0, 0, fmt.Errorf("readbudget: prune: %w", err)
	}
	var leased int
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(slots), 0), MIN(granted_at) FROM read_budget_leases").Scan(&leased, &oldest); err != nil {
		return 0, 0, fmt.Errorf("readbudget: count: %w", err)
	}
	free := allowed - leased
	if free <= 0 {
		wait := time.Duration(oldest.Int64-from) * time.Millisecond
		return 0, max(wait, time.Millisecond), nil
	}
	// Near the limit leases shrink, so that one instance cannot hold the
	// last slots unspent while another's pages wait.
	slots := min(want, max(1, free/4))
	if _, err := tx.ExecContext(ctx, b.db.Rebind("INSERT INTO read_budget_leases (granted_at, slots) VALUES (?, ?)"), now.UnixMilli(), slots); err != nil {
		return 0, 0, fmt.Errorf("readbudget: record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("readbudget: commit: %w", err)
	}
	return slots, 0, nil
}
