package audit

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// eachDialect runs body on a fresh SQLite database and on a fresh
// PostgreSQL database, as two subtests. body gets the database URL, so it
// can open it more than once, as several instances would.
func eachDialect(t *testing.T, body func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		body(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		body(t, pgtest.Start(t))
	})
}

// openDB opens and migrates url, and closes it when the test ends.
func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testClock is an injectable clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// request is an attempt as a handler would hand it to Begin.
func request(device string) Attempt {
	return Attempt{
		TechnicianOID:  "0c1d6c52-5b3a-4a8e-9f0e-6f1f3a1d2b01",
		TechnicianTID:  "72f988bf-86f1-41af-91ab-2d7cd011db47",
		TechnicianUPN:  "ada@contoso.example",
		TechnicianName: "Ada Lovelace",
		TechnicianKey:  "tech-ada",
		TargetUser:     "grace@contoso.example",
		DeviceID:       device,
		DeviceName:     "LAPTOP-" + device,
		Route:          1,
		Ticket:         "INC0012345",
		ClientIP:       "203.0.113.7",
		UserAgent:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	}
}

// seed writes n attempts made by build in one transaction, through one
// prepared statement inserting seedBatch rows at a time and another for the
// remainder: the quick way to fill a trail for a test.
func seed(t testing.TB, db *store.DB, n int, build func(i int) Attempt) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var stmts [seedBatch + 1]*sql.Stmt
	cols := strings.Count(columns, ",") + 1
	tuple := "(" + strings.Repeat("?, ", cols-1) + "?)"
	args := make([]any, 0, seedBatch*cols)
	for i := 0; i < n; i += seedBatch {
		rows := min(seedBatch, n-i)
		if stmts[rows] == nil {
			query := insertAttempt + strings.Repeat(", "+tuple, rows-1)
			if stmts[rows], err = tx.PrepareContext(ctx, db.Rebind(query)); err != nil {
				t.Fatal(err)
			}
			defer stmts[rows].Close()
		}
		args = args[:0]
		for j := i; j < i+rows; j++ {
			a := build(j)
			if a.ID == "" {
				a.ID = fmt.Sprintf("seed-%09d", j)
			}
			args = append(args, attemptArgs(a)...)
		}
		if _, err := stmts[rows].ExecContext(ctx, args...); err != nil {
			t.Fatalf("seed rows %d…%d: %v", i, i+rows-1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// seedBatch rows per INSERT keep the parameters (32 a row) well within
// both databases' limits.
const seedBatch = 100
