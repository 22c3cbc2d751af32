package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/store"
)

const (
	// readyCacheFor is how long a readiness verdict is reused: a load
	// balancer polling every few hundred milliseconds, from several
	// proxies, must not turn into as many database queries.
	readyCacheFor = 1500 * time.Millisecond
	// readyTimeout bounds each check: a database that takes longer than
	// this to answer one tiny query is not one to send technicians to.
	readyTimeout = time.Second
)

// healthz says the process is alive; it checks nothing else on purpose.
func healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// ReadyCheck is one condition for serving traffic. Name is all /readyz
// reveals when the check fails ("not ready: database"); the error, which
// may name hosts, goes to the log only.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readiness answers /readyz from a verdict cached for ttl. Concurrent
// callers queue on the mutex while one of them runs the checks, so a
// burst of polls costs one round of checks.
type readiness struct {
	checks []ReadyCheck
	ttl    time.Duration
	now    func() time.Time

	mu     sync.Mutex
	at     time.Time // when the verdict was reached; zero before the first
	failed string    // name of the first failed check, "" when ready
	err    error
}

func newReadiness(checks []ReadyCheck, ttl time.Duration, now func() time.Time) *readiness {
	return &readiness{checks: checks, ttl: ttl, now: now}
}

// serve is GET /readyz: 200 "ok", or 503 naming the first unmet condition.
func (r *readiness) serve(c echo.Context) error {
	failed, err := r.verdict(c.Request().Context())
	c.Response().Header().Set("Cache-Control", "no-store")
	if failed == "" {
		return c.String(http.StatusOK, "ok\n")
	}
	noteError(c, err)
	return c.String(http.StatusServiceUnavailable, "not ready: "+failed+"\n")
}

// verdict runs the checks in order unless a recent verdict exists. The
// checks do not use the caller's context as such: a poller that hangs up
// must not leave its cancellation cached as everyone's verdict.
func (r *readiness) verdict(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && r.now().Sub(r.at) < r.ttl {
		return r.failed, r.err
	}
	r.failed, r.err = "", nil
	for _, check := range r.checks {
		checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		err := check.Check(checkCtx)
		cancel()
		if err != nil {
			r.failed, r.err = check.Name, err
			break
		}
	}
	r.at = r.now()
	return r.failed, r.err
}

// DatabaseReady is met when the database answers and its schema is at
// want, the newest migration this binary knows. A schema that moved on
// (a newer instance migrated it) or back (a restored backup) means this
// binary would run queries against tables it does not know. Reading the
// schema version is itself the ping: one indexed query.
func DatabaseReady(db *store.DB, want int64) ReadyCheck {
	return ReadyCheck{Name: "database", Check: func(ctx context.Context) error {
		got, err := db.SchemaVersion(ctx)
		if err != nil {
			return fmt.Errorf("web: readiness: %w", err)
		}
		if got != want {
			return fmt.Errorf("web: readiness: the database schema is at version %d, this binary expects %d", got, want)
		}
		return nil
	}}
}
