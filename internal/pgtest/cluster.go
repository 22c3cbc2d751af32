package pgtest

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BinDirEnv names an environment variable that, when set, is the only
// directory searched for the server binaries: to test against another
// PostgreSQL version than the highest installed, or to check how tests
// behave without one (point it at a directory that does not exist).
const BinDirEnv = "PGTEST_BINDIR"

// debianBinDirs is where Debian's postgresql-NN packages install the
// server binaries, one directory per major version.
const debianBinDirs = "/usr/lib/postgresql/*/bin"

// Available reports whether the PostgreSQL server binaries (initdb, pg_ctl
// and postgres) are installed, and the directory holding them: that of
// $PGTEST_BINDIR when it is set; otherwise the highest version under
// /usr/lib/postgresql/*/bin, or else `pg_config --bindir`.
func Available() (binDir string, ok bool) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if hasServerBinaries(dir) {
			return dir, true
		}
		return "", false
	}
	dirs, _ := filepath.Glob(debianBinDirs)
	slices.SortFunc(dirs, func(a, b string) int {
		return -compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, true
		}
	}
	// Other layouts (a source build, another distribution) have pg_config,
	// which knows where its binaries are.
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" && hasServerBinaries(dir) {
			return dir, true
		}
	}
	return "", false
}

// hasServerBinaries reports whether dir holds everything a cluster needs:
// the client tools alone (psql, pg_config) are not enough.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// compareVersions compares dotted version numbers such as "9.6" and "15"
// numerically, so that 15 is higher than 9.6; names that are not numbers
// sort below those that are.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		x, y := -1, -1
		if i < len(as) {
			if n, err := strconv.Atoi(as[i]); err == nil {
				x = n
			}
		}
		if i < len(bs) {
			if n, err := strconv.Atoi(bs[i]); err == nil {
				y = n
			}
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// cluster is a running PostgreSQL cluster in a temporary directory.
type cluster struct {
	binDir  string
	dir     string // the temporary directory, removed on stop
	dataDir string
	sockDir string
	logFile string
	port    int

	// runAs prefixes the server commands when this process is root, which
	// initdb, pg_ctl and postgres all refuse to be: it runs them as the
	// postgres system user instead.
	runAs    []string
	uid, gid int // of that user, or -1 when not root

	admin *sql.DB

	// watchdogW is the write end of the watchdog's standard input; see
	// startWatchdog.
	watchdogW *os.File
	watchdog  *exec.Cmd
}

// startCluster creates and starts the cluster, or returns why it could not,
// with errMissing when there are no server binaries to start it with.
func startCluster() (*cluster, error) {
	binDir, ok := Available()
	if !ok {
		return nil, errMissing
	}
	c := &cluster{binDir: binDir, uid: -1, gid: -1}
	if err := c.chooseUser(); err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp(shmDir(), "pgtest-")
	if err != nil {
		dir, err = os.MkdirTemp("", "pgtest-")
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c.dir = dir
	c.dataDir = filepath.Join(dir, "data")
	c.sockDir = filepath.Join(dir, "sock")
	c.logFile = filepath.Join(dir, "postgres.log")
	if err := os.Mkdir(c.sockDir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if c.uid >= 0 {
		for _, d := range []string{dir, c.sockDir} {
			if err := os.Chown(d, c.uid, c.gid); err != nil {
				os.RemoveAll(dir)
				return nil, fmt.Errorf("pgtest: hand %s to the postgres user: %w", d, err)
			}
		}
	}
	if err := c.startWatchdog(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// From here on the watchdog cleans up if this process dies, and
	// c.stop does when startup fails.

	if err := c.initdb(); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.start(); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.openAdmin(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// shmDir is where the cluster's directory goes when it can: /dev/shm, when
// that is a roomy tmpfs and TMPDIR does not say otherwise; else "", for
// os.TempDir. Either is temporary, so that what a crash leaves behind is
// cleared with the machine's other temporary files. Memory is worth it
// because CREATE DATABASE writes over a thousand files, which on a disk
// file system takes ~250 ms even with fsync off, and 10 ms in memory; initdb
// is three times faster there too. A small /dev/shm, such as Docker's 64 MB,
// is left to postgres's shared memory.
func shmDir() string {
	const shm, enough = "/dev/shm", 1 << 30
	if os.Getenv("TMPDIR") != "" {
		return ""
	}
	if free, ok := tmpfsFree(shm); ok && free >= enough {
		return shm
	}
	return ""
}

// chooseUser sets runAs, uid and gid when this process is root.
func (c *cluster) chooseUser() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("pgtest: running as root, which initdb refuses, and there is no postgres user to run it as "+
			"(Debian's postgresql package creates it): %w", err)
	}
	c.uid, _ = strconv.Atoi(u.Uid)
	c.gid, _ = strconv.Atoi(u.Gid)
	if p, err := exec.LookPath("runuser"); err == nil {
		c.runAs = []string{p, "-u", "postgres", "--"}
		return nil
	}
	if p, err := exec.LookPath("setpriv"); err == nil {
		c.runAs = []string{p, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}
		return nil
	}
	return errors.New("pgtest: running as root, which initdb refuses, and neither runuser nor setpriv (util-linux) is there to run it as postgres")
}

// command builds the command running the server binary name with args, as
// the postgres user when this process is root.
func (c *cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := slices.Concat(c.runAs, []string{filepath.Join(c.binDir, name)}, args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The postgres user may not be allowed into the test's working
	// directory, and initdb and pg_ctl complain when they cannot return to it.
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	return cmd
}

// serverEnv is this process's environment without the PG* variables, such
// as PGDATA or PGPORT, that would make the server tools act on another
// cluster than the one they are told about.
func serverEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}

// run runs a server binary and returns its output in the error if it fails.
func (c *cluster) run(timeout time.Duration, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := c.command(ctx, name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// initdb creates the cluster: trust authentication, since only this
// machine can reach it and the tests need no passwords; no fsync, since the
// data is thrown away; the C locale, which exists on every machine.
func (c *cluster) initdb() error {
	return c.run(2*time.Minute, "initdb", "-D", c.dataDir, "--auth=trust", "-U", "postgres",
		"--encoding=UTF8", "--locale=C", "--no-sync")
}

// start starts the server on a free port of 127.0.0.1 and waits until it
// accepts connections. The port is free when chosen but another process
// may take it before postgres binds it, so that is retried on a new port.
func (c *cluster) start() error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.port = port
		os.Remove(c.logFile) // so that the log shown on failure is this attempt's
		err = c.run(90*time.Second, "pg_ctl", "start", "-D", c.dataDir, "-l", c.logFile,
			"-w", "-t", "60", "-o", shellJoin(c.serverOptions()))
		if err == nil {
			return nil
		}
		log := c.logTail()
		if attempt < 3 && strings.Contains(log, "already in use") {
			continue
		}
		return fmt.Errorf("%w\n%s", err, log)
	}
}

// serverOptions are the postgres settings for a fast, private test server.
// fsync, synchronous_commit and full_page_writes are off because the data
// need not survive a crash; max_connections is raised because each test
// database has its own connection pool.
func (c *cluster) serverOptions() []string {
	var args []string
	for _, kv := range []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(c.port),
		"unix_socket_directories=" + c.sockDir,
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		"max_connections=200",
	} {
		args = append(args, "-c", kv)
	}
	return args
}

// shellJoin quotes args for pg_ctl -o, which passes them to postgres
// through /bin/sh.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the server log, for error messages.
func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.logFile)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	const limit = 8 << 10
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	return "server log " + c.logFile + ":\n" + string(b)
}

// watchdogScript runs in its own process with the test binary holding the
// only write end of its standard input. It waits for that to close: when
// the test binary says "done" first, the cluster is already stopped;
// otherwise the binary died without stopping it (a panic, a -timeout, a
// SIGKILL), and the script stops the postmaster and removes the directory,
// which no process of the test binary's could do any more.
const watchdogScript = `dir=$1 data=$2
shift 2
IFS= read -r line && [ "$line" = done ] && exit 0
"$@" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1
rm -rf "$dir"
`

// startWatchdog starts the process that stops the cluster if this one dies
// without doing so.
func (c *cluster) startWatchdog() error {
	r, w, err := os.Pipe() // close-on-exec: postgres and other children do not inherit w
	if err != nil {
		return fmt.Errorf("pgtest: watchdog pipe: %w", err)
	}
	defer r.Close()
	args := slices.Concat([]string{"-c", watchdogScript, "pgtest-watchdog", c.dir, c.dataDir},
		c.runAs, []string{filepath.Join(c.binDir, "pg_ctl")})
	cmd := exec.Command("/bin/sh", args...)
	cmd.Stdin = r
	cmd.Dir = "/" // not the directory it removes
	cmd.Env = serverEnv()
	// Its own session, so that the Ctrl-C that kills the test binary does
	// not kill the watchdog too; stdout and stderr stay unset (/dev/null),
	// since `go test` waits for every holder of the test's output to close it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("pgtest: start watchdog: %w", err)
	}
	c.watchdog, c.watchdogW = cmd, w
	return nil
}

// stop stops the server at once, since its data is disposable, removes
// its directory, and dismisses the watchdog. If any of that fails, the
// watchdog is not told "done", so it tries again itself.
func (c *cluster) stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	var errs []error
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); err == nil {
		errs = append(errs, c.run(time.Minute, "pg_ctl", "stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "30"))
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: %w", err))
	}
	err := errors.Join(errs...)
	if c.watchdogW != nil {
		if err == nil {
			fmt.Fprintln(c.watchdogW, "done")
		}
		c.watchdogW.Close()
		c.watchdog.Wait()
		c.watchdogW = nil
	}
	return err
}
