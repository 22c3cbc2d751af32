package writebudget

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// twoInstances opens the same database twice, as two portal instances do.
func twoInstances(t *testing.T, url string) (*store.DB, *store.DB) {
	t.Helper()
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

func TestABurstAcrossInstancesNeverExceedsTheBudget(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "b.db") },
		"postgres": func(t *testing.T) string { return pgtest.Start(t) },
	} {
		t.Run(name, func(t *testing.T) {
			a, b := twoInstances(t, url(t))
			var mu sync.Mutex
			now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			budgets := []*Budget{New(a, 20, Window, clock), New(b, 20, Window, clock)}

			var taken, refused atomic.Int64
			var wg sync.WaitGroup
			for i := range 60 {
				wg.Go(func() {
					ok, wait, err := budgets[i%2].Take(context.Background(), fmt.Sprint(i))
					switch {
					case err != nil:
						t.Error(err)
					case ok:
						taken.Add(1)
					case wait <= 0 || wait > Window+Transit:
						t.Errorf("refused with wait %s", wait)
					default:
						refused.Add(1)
					}
				})
			}
			wg.Wait()
			if taken.Load() != 20 || refused.Load() != 40 {
				t.Fatalf("%d taken, %d refused; want 20 and 40", taken.Load(), refused.Load())
			}
			mu.Lock()
			now = now.Add(Window)
			mu.Unlock()
			// A send Graph receives up to Transit after its slot was taken
			// still counts against the window it belongs to at Graph.
			if ok, wait, _ := budgets[0].Take(context.Background(), "late"); ok || wait != Transit {
				t.Fatalf("when Intune's window ends: ok %v, wait %s; want a wait of Transit (%s)", ok, wait, Transit)
			}
			mu.Lock()
			now = now.Add(Transit)
			mu.Unlock()
			if ok, _, _ := budgets[1].Take(context.Background(), "next"); !ok {
				t.Fatal("no send allowed once the window moved on")
			}
		})
	}
}
