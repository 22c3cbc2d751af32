package store

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

func TestSessionsOnBothDatabases(t *testing.T) {
	for name, url := range map[string]func(*testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "s.db") },
		"postgres": func(t *testing.T) string { return pgtest.Start(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, url(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s := db.Sessions()

			if _, found, err := s.FindCtx(ctx, "nobody"); found || err != nil {
				t.Fatalf("unknown token: found %v, %v", found, err)
			}
			hour := time.Now().Add(time.Hour)
			if err := s.CommitCtx(ctx, "live", []byte("first"), hour); err != nil {
				t.Fatal(err)
			}
			if err := s.CommitCtx(ctx, "live", []byte("second"), hour); err != nil {
				t.Fatalf("a second commit replaces the first: %v", err)
			}
			data, found, err := s.FindCtx(ctx, "live")
			if err != nil || !found || !bytes.Equal(data, []byte("second")) {
				t.Fatalf("live session: %q, %v, %v", data, found, err)
			}
			if err := s.CommitCtx(ctx, "expired", []byte("old"), time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, found, err := s.FindCtx(ctx, "expired"); found || err != nil {
				t.Fatalf("expired session found: %v, %v", found, err)
			}
			if n, err := s.Prune(ctx); n != 1 || err != nil {
				t.Fatalf("prune removed %d, %v; want the one expired session", n, err)
			}
			if err := s.DeleteCtx(ctx, "live"); err != nil {
				t.Fatal(err)
			}
			if _, found, err := s.FindCtx(ctx, "live"); found || err != nil {
				t.Fatalf("deleted session found: %v, %v", found, err)
			}
		})
	}
}

func TestStatementCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range maxStatements + 10 {
		// Distinct texts: each one a different literal.
		var got int
		if err := db.QueryRowContext(ctx, "SELECT "+strconv.Itoa(i%10)+" + ?", i).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := i%10 + i; got != want {
			t.Fatalf("query %d answered %d, want %d", i, got, want)
		}
	}
	if n := len(db.statements); n != 10 {
		t.Fatalf("%d statements cached for 10 distinct texts", n)
	}
	for i := range maxStatements + 10 {
		var got int
		q := "SELECT ? + " + strconv.Itoa(i)
		if err := db.QueryRowContext(ctx, q, 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("%s: %d, %v", q, got, err)
		}
	}
	if n := len(db.statements); n != maxStatements {
		t.Fatalf("%d statements cached, want the bound %d", n, maxStatements)
	}
	if _, err := db.ExecContext(ctx, "SELECT * FROM no_such_table"); err == nil {
		t.Fatal("a query that does not prepare reported no error")
	}
}

// Connections are kept for concurrent requests rather than opened again
// (for SQLite: the files, the schema, the prepared statements) each time.
func TestConcurrentConnectionsStayOpen(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const concurrent = 8
	conns := make([]*sql.Conn, concurrent)
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if idle := db.Stats().Idle; idle != concurrent {
		t.Fatalf("%d of %d connections kept idle", idle, concurrent)
	}
}
