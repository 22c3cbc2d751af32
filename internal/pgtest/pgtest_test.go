package pgtest_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open connects to url through database/sql and pgx, as the project does,
// and closes the pool when the test ends.
func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	return db
}

func TestStartGivesSeparateEmptyDatabases(t *testing.T) {
	urlA, urlB := pgtest.Start(t), pgtest.Start(t)
	if urlA == urlB {
		t.Fatalf("both calls returned %s", urlA)
	}
	a, b := open(t, urlA), open(t, urlB)
	ctx := t.Context()

	for _, db := range []*sql.DB{a, b} {
		var tables int
		if err := db.QueryRowContext(ctx,
			`SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("a new database has %d tables, want none", tables)
		}
	}

	if _, err := a.ExecContext(ctx, `CREATE TABLE tickets (id int PRIMARY KEY, title text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, `INSERT INTO tickets VALUES (1, 'printer')`); err != nil {
		t.Fatal(err)
	}
	var title string
	if err := a.QueryRowContext(ctx, `SELECT title FROM tickets WHERE id = 1`).Scan(&title); err != nil || title != "printer" {
		t.Fatalf("read back from the first database: %q, %v", title, err)
	}
	var found sql.NullString
	if err := b.QueryRowContext(ctx, `SELECT to_regclass('public.tickets')::text`).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found.Valid {
		t.Errorf("the table created in the first database is in the second: %s", found.String)
	}
}

func TestURLIsLoopbackTCP(t *testing.T) {
	raw := pgtest.Start(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "postgres" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.User.Username() != "postgres" {
		t.Errorf("URL %s: want postgres://postgres@127.0.0.1:PORT/...", raw)
	}
	var addr string
	if err := open(t, raw).QueryRowContext(t.Context(), `SELECT host(inet_server_addr())`).Scan(&addr); err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.1" {
		t.Errorf("server address %q, want 127.0.0.1 (TCP, not the unix socket)", addr)
	}
}

func TestDatabaseDroppedWhenTestEnds(t *testing.T) {
	var name string
	t.Run("user", func(t *testing.T) {
		raw := pgtest.Start(t)
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		// A connection left open must not keep the database alive.
		open(t, raw).SetMaxIdleConns(1)
	})
	var n int
	if err := open(t, pgtest.Start(t)).QueryRowContext(context.Background(),
		`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestParallelStarts(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open(t, pgtest.Start(t))
			if _, err := db.ExecContext(t.Context(), `CREATE TABLE only_here (x int)`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAvailable(t *testing.T) {
	dir, ok := pgtest.Available()
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL server binaries; CI=true: apt-get install -y postgresql")
		}
		t.Skip("no PostgreSQL server binaries: apt-get install -y postgresql")
	}
	t.Logf("server binaries in %s", dir)
	t.Setenv(pgtest.BinDirEnv, dir)
	if got, ok := pgtest.Available(); !ok || got != dir {
		t.Errorf("with %s=%s: Available() = %q, %v", pgtest.BinDirEnv, dir, got, ok)
	}
	t.Setenv(pgtest.BinDirEnv, t.TempDir())
	if got, ok := pgtest.Available(); ok {
		t.Errorf("with %s at an empty directory: Available() = %q, true", pgtest.BinDirEnv, got)
	}
}

// helperEnv marks the test binary run by TestMissingBinaries.
const helperEnv = "PGTEST_TEST_HELPER"

// TestMissingBinariesHelper calls Start in a child test binary that finds
// no server binaries; run directly, it does nothing.
func TestMissingBinariesHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return // not skipped: under CI=true nothing may be
	}
	pgtest.Start(t)
	t.Log("Start returned")
}

// TestMissingBinaries checks that without server binaries Start skips,
// except under CI=true, where it fails naming the package to install.
func TestMissingBinaries(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{ci: "", wantFail: false, want: "--- SKIP: TestMissingBinariesHelper"},
		{ci: "true", wantFail: true, want: "--- FAIL: TestMissingBinariesHelper"},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingBinariesHelper$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"=1", "CI="+tc.ci, pgtest.BinDirEnv+"=/nonexistent/pgtest/bin")
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Errorf("child failed: %v, want %v (err %v)", failed, tc.wantFail, err)
			}
			for _, want := range []string{tc.want, "apt-get install -y postgresql"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("child output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), "Start returned") {
				t.Errorf("Start returned without binaries:\n%s", out)
			}
		})
	}
}

func TestClusterForAProgram(t *testing.T) {
	if _, ok := pgtest.Available(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL server binaries; CI=true: nothing may be skipped")
		}
		t.Skip("no PostgreSQL server binaries")
	}
	c, err := pgtest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Database()
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Database()
	if err != nil || second == first {
		t.Fatalf("second database %q (first %q): %v", second, first, err)
	}
	db := open(t, first)
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE instances (name text)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	after, err := sql.Open("pgx", first)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := after.PingContext(ctx); err == nil {
		t.Fatal("the cluster still answers after Stop")
	}
}
