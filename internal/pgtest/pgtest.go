// Package pgtest gives tests a real PostgreSQL database: one throwaway
// cluster per test binary, started on first use in a temporary directory,
// and a fresh, empty database for each test that asks for one.
//
// A package whose tests use it calls Main from its TestMain, so that the
// cluster is stopped and its directory removed as soon as the tests end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without Main, or when the test binary dies (a panic, a -timeout, a
// signal, even SIGKILL), a watchdog process started with the cluster stops
// it and removes its directory a moment after the test binary is gone.
//
// The server binaries come from Debian's postgresql package. When they are
// missing the tests that need them skip, except under CI=true, where they
// fail: CI must test everything.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	// The "pgx" driver for database/sql, used for the administrative
	// connection that creates and drops the per-test databases.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// errMissing is the startup error when no server binaries are installed; it
// makes Start skip (or fail under CI) instead of reporting a broken cluster.
var errMissing = errors.New("pgtest: the PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed: " +
	"apt-get install -y postgresql (or run `make test-deps` as root)")

// shared is the one cluster of this test binary. Its start is attempted
// once: a failure is reported by every Start rather than retried per test,
// because it would only fail the same way again, slowly.
var shared struct {
	once sync.Once
	c    *cluster
	err  error

	stopMu  sync.Mutex // serialises stop between Main and the signal handler
	stopped bool
	dying   bool // a signal is being handled: the process is to die of it
}

// Start returns the URL of a new, empty database for this test, on a
// PostgreSQL cluster that is started on the first call in this test binary
// and shared by all its tests. The cluster lives in a temporary directory
// (in /dev/shm when that is a roomy tmpfs and TMPDIR is unset, for speed;
// else in os.TempDir()) and listens on 127.0.0.1 and a unix socket there
// only. The URL has the form
// postgres://postgres@127.0.0.1:PORT/t_RANDOM?sslmode=disable and suits
// pgx, directly or through database/sql with the driver name "pgx". The
// database is dropped, with any connections still open to it, when the test
// and its subtests end.
//
// When the server binaries are not installed, Start skips the test, or fails
// it when the environment has CI=true.
func Start(t testing.TB) (url string) {
	t.Helper()
	shared.once.Do(func() {
		began := time.Now()
		handleSignals()
		c, err := startCluster()
		shared.stopMu.Lock() // the signal handler may be reading shared.c
		shared.c, shared.err = c, err
		shared.stopMu.Unlock()
		if err == nil {
			t.Logf("pgtest: started PostgreSQL (%s) in %s on 127.0.0.1:%d in %s",
				shared.c.binDir, shared.c.dir, shared.c.port, time.Since(began).Round(time.Millisecond))
		}
	})
	switch {
	case errors.Is(shared.err, errMissing):
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true: nothing may be skipped", shared.err)
		}
		t.Skip(shared.err)
	case shared.err != nil:
		t.Fatal(shared.err)
	}
	c := shared.c

	name, err := c.createDatabase()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends the connections a test leaves open, which would
		// otherwise make the drop fail.
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.url(name)
}

// createDatabase creates a new, empty database and returns its name.
func (c *cluster) createDatabase() (string, error) {
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The name is ours, made of [a-z0-9_] only, so it needs no quoting.
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return name, nil
}

// Cluster is a throwaway cluster for a program rather than a test binary
// (assistdesk-bench runs its instances on one). Its owner stops it; the
// watchdog does if the program dies first.
type Cluster struct{ c *cluster }

// StartCluster starts a cluster as Start does for a test binary, or
// returns why it could not (the server binaries may be missing).
func StartCluster() (*Cluster, error) {
	c, err := startCluster()
	if err != nil {
		return nil, err
	}
	return &Cluster{c: c}, nil
}

// Database creates a new, empty database and returns its URL, of the same
// form as Start's.
func (c *Cluster) Database() (string, error) {
	name, err := c.c.createDatabase()
	if err != nil {
		return "", err
	}
	return c.c.url(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error { return c.c.stop() }

// Main runs the tests of m, then stops the cluster Start may have started,
// removes its directory, and exits with the tests' code. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if stopShared() {
		// The tests ended because a signal stopped the cluster under
		// them: leave the exit to the handler, so that the process dies
		// of the signal rather than of the failures it caused.
		select {}
	}
	os.Exit(code)
}

// stopShared stops the shared cluster, if it was started, once. It
// reports whether the process is dying of a signal.
func stopShared() (dying bool) {
	shared.stopMu.Lock()
	defer shared.stopMu.Unlock()
	if shared.stopped || shared.c == nil {
		return shared.dying
	}
	shared.stopped = true
	if err := shared.c.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return shared.dying
}

// handleSignals stops the cluster when the test binary is interrupted or
// terminated, then dies of the same signal as it would have without the
// handler. The watchdog would stop the cluster anyway; doing it here means
// that it is stopped before the binary's exit is seen.
func handleSignals() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		shared.stopMu.Lock()
		shared.dying = true
		shared.stopMu.Unlock()
		stopShared()
		s := sig.(syscall.Signal)
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), s)
		// The signal is delivered asynchronously, and not at all when it
		// was ignored before Notify (SIGINT in a shell's background job):
		// then exit as a shell reports death by that signal.
		time.Sleep(time.Second)
		os.Exit(128 + int(s))
	}()
}

// url is the URL of database name as the superuser postgres over TCP.
// sslmode=disable because the cluster has no TLS, and the default "prefer"
// would spend a round trip asking for it on every connection.
func (c *cluster) url(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     "127.0.0.1:" + strconv.Itoa(c.port),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// randomHex returns n random bytes in hex, for names no other test uses.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// openAdmin connects to the cluster's postgres database, from which the
// per-test databases are created and dropped.
func (c *cluster) openAdmin() error {
	db, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: open admin connection: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("pgtest: connect to the new cluster: %w\n%s", err, c.logTail())
	}
	c.admin = db
	return nil
}
