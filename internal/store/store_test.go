package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenSQLiteMigratesAndRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "assistdesk.db")
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO graph_tokens (id, sealed, version, updated_at) VALUES ('a', x'00', 1, 0)"); err != nil {
		t.Fatalf("migrated schema lacks graph_tokens: %v", err)
	}
	if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)"), v+7, true); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "newer than this assistdesk") {
		t.Fatalf("opened a database from a newer binary: %v", err)
	}
}

func TestOpenRefusesBadURLs(t *testing.T) {
	for _, url := range []string{"", "sqlite:", "mysql://x", "/data/assistdesk.db"} {
		if _, err := Open(context.Background(), url); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &DB{Dialect: Postgres}
	if got := pg.Rebind("SELECT a FROM t WHERE b = ? AND c = ?"); got != "SELECT a FROM t WHERE b = $1 AND c = $2" {
		t.Fatalf("postgres: %s", got)
	}
	lite := &DB{Dialect: SQLite}
	if got := lite.Rebind("b = ?"); got != "b = ?" {
		t.Fatalf("sqlite: %s", got)
	}
}
