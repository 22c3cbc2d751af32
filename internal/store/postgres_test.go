package store

import (
	"context"
	"sync"
	"testing"

	"github.com/assistdesk/assistdesk/internal/pgtest"
)

// Instances starting together on an empty database: goose's session lock
// lets one migrate while the others wait, and every one starts.
func TestInstancesStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.Start(t)
	ctx := context.Background()
	const instances = 4
	dbs := make([]*DB, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range instances {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = Open(ctx, url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	v, err := dbs[0].SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := dbs[0].QueryRowContext(ctx, "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if int64(applied) != v {
		t.Fatalf("%d migrations recorded for schema version %d: some ran twice", applied, v)
	}
	if _, err := dbs[1].ExecContext(ctx, dbs[1].Rebind("INSERT INTO graph_tokens (id, sealed, version, updated_at) VALUES (?, ?, 1, 0)"), "x", []byte{1}); err != nil {
		t.Fatalf("migrated schema unusable: %v", err)
	}
}
