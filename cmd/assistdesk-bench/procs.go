package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// It is 100 on every Linux architecture Go supports.
const clockTicks = 100

// pinnedEnv marks a bench process that has already re-executed itself
// under taskset.
const pinnedEnv = "ASSISTDESK_BENCH_PINNED"

// pinning says whether processes are pinned to CPUs, and why not.
type pinning struct {
	taskset string // path of taskset; "" when not pinning
	reason  string // why not, when not
}

func choosePinning(disabled bool) pinning {
	if disabled {
		return pinning{reason: "disabled by -no-pin"}
	}
	// After pinSelf this process sees only CPU 1; the decision was taken
	// before, with every CPU in view.
	if os.Getenv(pinnedEnv) == "" && runtime.NumCPU() < 2 {
		return pinning{reason: fmt.Sprintf("only %d CPU available", runtime.NumCPU())}
	}
	path, err := exec.LookPath("taskset")
	if err != nil {
		return pinning{reason: "taskset not found"}
	}
	return pinning{taskset: path}
}

// command builds argv, pinned to cpu when pinning.
func (p pinning) command(cpu int, argv ...string) *exec.Cmd {
	if p.taskset != "" {
		argv = append([]string{p.taskset, "-c", strconv.Itoa(cpu)}, argv...)
	}
	return exec.Command(argv[0], argv[1:]...)
}

// pinSelf re-executes this program on CPU 1 unless that has been done or
// pinning is off. It returns only when no re-exec happened.
func (p pinning) pinSelf() error {
	if p.taskset == "" || os.Getenv(pinnedEnv) != "" {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	argv := append([]string{p.taskset, "-c", "1", self}, os.Args[1:]...)
	return syscall.Exec(p.taskset, argv, append(os.Environ(), pinnedEnv+"=1"))
}

// child is a started process whose output goes to a log file.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// start runs cmd with its output in logPath.
func start(name string, cmd *exec.Cmd, logPath string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		f.Close()
		c.done <- err
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM to this child (taskset execs its command, so the pid
// is the program's own) and waits a while before killing it. Stopping a
// stopped child does nothing more.
func (c *child) stop() {
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		err = <-c.done
	}
	c.done <- err // for a later stop or exited
}

// exited reports an early exit, with the end of the child's log.
func (c *child) exited() error {
	select {
	case err := <-c.done:
		c.done <- err
		return fmt.Errorf("%s exited (%v); end of its log %s:\n%s", c.name, err, c.log, tail(c.log, 2000))
	default:
		return nil
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// freeAddr picks a free loopback port. Another process could take it
// before the child listens; on this machine nothing else competes.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitFor polls url until it answers want, the child dies, or timeout.
func waitFor(ctx context.Context, c *child, url string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if err := c.exited(); err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: %s did not answer %d within %s (last: %s); log %s:\n%s", c.name, url, want, timeout, last, c.log, tail(c.log, 2000))
}

// cpuTime is a process's user+system CPU time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it start
	// past the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("cpu time: malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("cpu time: short stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// memoryKB reads fields such as VmRSS and VmHWM (in kB) from /proc/PID/status.
func memoryKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}
