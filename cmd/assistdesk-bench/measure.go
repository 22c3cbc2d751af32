package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// userPages are demo users with a few devices each (graphsim's demo tenant).
var userPages = []string{
	"/users/adele.vance@contoso.example",
	"/users/zoe.bronte@contoso.example",
	"/users/juergen.gross@contoso.example",
	"/users/jose.nunez@contoso.example",
	"/users/asa.lindqvist@contoso.example",
	"/users/bobby.tables@contoso.example",
}

// technicians of the demo provider; sessions alternate between them.
var technicians = []string{"harper", "lee"}

// measure signs technicians in and runs every phase, returning the table.
func measure(ctx context.Context, o options, env *environment, stdout io.Writer) ([]row, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * o.clients
	transport.MaxIdleConnsPerHost = 2 * o.clients
	defer transport.CloseIdleConnections()

	fmt.Fprintf(stdout, "signing in %d technicians…\n", o.clients)
	browsers, err := signInMany(env.portal, transport, o.clients)
	if err != nil {
		return nil, err
	}
	// Each user page once per session: it must work, and it caches the
	// technician's connector status as any second page view would.
	for _, b := range browsers {
		for _, p := range userPages {
			if err := get(b, env.portal+p, http.StatusOK); err != nil {
				return nil, fmt.Errorf("setup: %w", err)
			}
		}
	}

	var rows []row
	fmt.Fprintln(stdout, "counting Graph calls per flow…")
	calls, err := graphCallsPerFlow(browsers[0], env.portal)
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(stdout, "user page: %d clients, %s warm-up, %s measured…\n", o.clients, o.warmup, o.duration)
	closedLoop(ctx, browsers, o.clients, env.portal, userPages, o.warmup, http.StatusOK)
	users, err := measured(ctx, env, browsers, o.clients, userPages, o.duration, http.StatusOK)
	if err != nil {
		return nil, err
	}
	rows = append(rows, latencyRows(o, users)...)
	// The same page for one technician alone: the floor without contention.
	single, err := measured(ctx, env, browsers[:1], 1, userPages, o.baseline, http.StatusOK)
	if err != nil {
		return nil, err
	}
	s := sortedCopy(single.latencies)
	rows = append(rows, note("user page p50 / p99 for 1 technician alone (no contention)",
		ms(percentile(s, 50))+" / "+ms(percentile(s, 99))))

	// Baselines: signed-out clients (no cookie jar), same concurrency.
	anon := []*http.Client{{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	fmt.Fprintf(stdout, "baselines: /login and /healthz, %s each…\n", o.baseline)
	closedLoop(ctx, anon, o.clients, env.portal, []string{"/login"}, time.Second, http.StatusOK)
	login, err := measured(ctx, env, anon, o.clients, []string{"/login"}, o.baseline, http.StatusOK)
	if err != nil {
		return nil, err
	}
	health, err := measured(ctx, env, anon, o.clients, []string{"/healthz"}, o.baseline, http.StatusOK)
	if err != nil {
		return nil, err
	}
	rows = append(rows, cpuRows(users, login, health)...)
	rows = append(rows, calls...)

	fmt.Fprintf(stdout, "signing in %d more technicians (to %d sessions)…\n", o.sessions-o.clients, o.sessions)
	more, err := signInMany(env.portal, transport, o.sessions-o.clients)
	if err != nil {
		return nil, err
	}
	rows = append(rows, memoryRows(env, browsers[0], o.clients+len(more))...)
	rows = append(rows, row{
		Figure:   "burst: 1,000 assistance requests in 20 s over two instances stay within the write budget",
		Measured: "–", Target: "never over ASSISTDESK_WRITE_BUDGET", Result: missing,
	})
	return rows, nil
}

// signInMany signs in n technicians, 8 at a time, each in its own session.
func signInMany(portal string, transport http.RoundTripper, n int) ([]*http.Client, error) {
	browsers := make([]*http.Client, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				browsers[i] = newBrowser(transport)
				errs[i] = signIn(browsers[i], portal, technicians[i%len(technicians)])
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
	}
	return browsers, nil
}

// result is a measured phase with the CPU each process spent during it.
type result struct {
	phase
	portalCPU, simCPU, selfCPU time.Duration
}

// measured runs a closed loop and reads the processes' CPU time around it.
func measured(ctx context.Context, env *environment, clients []*http.Client, workers int, paths []string, d time.Duration, want int) (result, error) {
	pids := []int{env.portalP.pid(), env.graphsim.pid(), os.Getpid()}
	var before [3]time.Duration
	for i, pid := range pids {
		var err error
		if before[i], err = cpuTime(pid); err != nil {
			return result{}, err
		}
	}
	r := result{phase: closedLoop(ctx, clients, workers, env.portal, paths, d, want)}
	var after [3]time.Duration
	for i, pid := range pids {
		var err error
		if after[i], err = cpuTime(pid); err != nil {
			return result{}, err
		}
	}
	r.portalCPU, r.simCPU, r.selfCPU = after[0]-before[0], after[1]-before[1], after[2]-before[2]
	if r.errors > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d of %d requests to %s failed; first: %v\n", r.errors, r.requests(), strings.Join(paths, ","), r.firstErr)
	}
	if len(r.latencies) == 0 {
		return r, fmt.Errorf("no request to %s succeeded: %v", strings.Join(paths, ","), r.firstErr)
	}
	return r, nil
}

func latencyRows(o options, users result) []row {
	s := sortedCopy(users.latencies)
	p50, p99 := percentile(s, 50), percentile(s, 99)
	lat := float64(o.latency)
	return []row{
		note(fmt.Sprintf("user page: requests in %s (%d clients, no think time)", o.duration, o.clients),
			fmt.Sprintf("%d ok, %d failed, %.0f/s", len(users.latencies), users.errors, float64(users.requests())/users.elapsed.Seconds())),
		note("user page p50 / p99", ms(p50)+" / "+ms(p99)),
		atMost(fmt.Sprintf("user page p50 ÷ Graph latency (%s)", o.latency), float64(p50)/lat, 1.05, "%.2f", "≤ 1.05"),
		atMost(fmt.Sprintf("user page p99 − Graph latency (%s)", o.latency), float64(p99-o.latency)/float64(time.Millisecond), 10, "%.2f ms", "≤ 10 ms"),
		note("CPU busy during the user-page phase: portal (CPU 0) / simulator / load generator+IdP (CPU 1)",
			fmt.Sprintf("%.0f%% / %.0f%% / %.0f%%", 100*users.portalCPU.Seconds()/users.elapsed.Seconds(),
				100*users.simCPU.Seconds()/users.elapsed.Seconds(), 100*users.selfCPU.Seconds()/users.elapsed.Seconds())),
	}
}

func perRequest(r result) time.Duration { return r.portalCPU / time.Duration(r.requests()) }

func cpuRows(users, login, health result) []row {
	u, l, h := perRequest(users), perRequest(login), perRequest(health)
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
	rows := []row{
		note("portal CPU per request: user page / /login (bare templ page) / /healthz", us(u)+" / "+us(l)+" / "+us(h)),
		note("baseline throughput: /login / /healthz", fmt.Sprintf("%.0f/s / %.0f/s",
			float64(login.requests())/login.elapsed.Seconds(), float64(health.requests())/health.elapsed.Seconds())),
	}
	if l > 0 {
		rows = append(rows, atMost("portal CPU per user page ÷ per /login page", float64(u)/float64(l), 5, "%.1f×", "≤ 5×"))
	}
	return rows
}

// assistancePath finds a route-1 assistance URL on a user page.
var assistancePath = regexp.MustCompile(`hx-post="(/users/[^"]+/devices/[0-9a-fA-F-]{36}/assistance)"`)

// graphCallsPerFlow does each flow once with c and counts the Graph calls
// the portal made for it (from its /metrics), with nothing else running.
func graphCallsPerFlow(c *http.Client, portal string) ([]row, error) {
	var rows []row
	count := func(flow, target string, ok func(int) bool, do func() error) error {
		before, err := graphCalls(c, portal)
		if err != nil {
			return err
		}
		if err := do(); err != nil {
			return fmt.Errorf("setup: %s: %w", flow, err)
		}
		after, err := graphCalls(c, portal)
		if err != nil {
			return err
		}
		n, detail := callsBetween(before, after)
		r := row{Figure: "Graph calls: " + flow, Measured: strconv.Itoa(n) + " (" + detail + ")", Target: target, Result: pass}
		if !ok(n) {
			r.Result = fail
		}
		rows = append(rows, r)
		return nil
	}
	page := userPages[0]
	body, err := getBody(c, portal+page)
	if err != nil {
		return nil, err
	}
	m := assistancePath.FindStringSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("setup: %s shows no Request assistance control", page)
	}
	assist := html.UnescapeString(m[1])
	steps := []struct {
		flow, target string
		ok           func(int) bool
		do           func() error
	}{
		{"search by UPN (adele.vance@contoso.example)", "1", func(n int) bool { return n == 1 },
			func() error { return get(c, portal+"/search?q=adele.vance%40contoso.example", http.StatusOK) }},
		{`search "adele" (could be a device name or serial)`, "1 + at most 2", func(n int) bool { return n >= 1 && n <= 3 },
			func() error { return get(c, portal+"/search?q=adele", http.StatusOK) }},
		{"user page " + page, "2", func(n int) bool { return n == 2 },
			func() error { return get(c, portal+page, http.StatusOK) }},
		{"request assistance (route 1)", "1", func(n int) bool { return n == 1 },
			func() error {
				status, err := postAssistance(c, portal, assist, "bench")
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("POST %s: status %d", assist, status)
				}
				return err
			}},
	}
	for _, s := range steps {
		if err := count(s.flow, s.target, s.ok, s.do); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// memoryRows reads the portal's memory once it holds n sessions.
func memoryRows(env *environment, c *http.Client, n int) []row {
	pid := env.portalP.pid()
	rss, err1 := memoryKB(pid, "VmRSS")
	hwm, err2 := memoryKB(pid, "VmHWM")
	if err1 != nil || err2 != nil {
		return []row{{Figure: "portal resident memory", Measured: fmt.Sprint(err1, err2), Target: "≤ 128 MB", Result: fail}}
	}
	active := "?"
	if body, err := getBody(c, env.portal+"/metrics"); err == nil {
		for line := range strings.SplitSeq(body, "\n") {
			if v, ok := strings.CutPrefix(line, "assistdesk_sessions_active "); ok {
				active = v
			}
		}
	}
	return []row{
		atMost(fmt.Sprintf("portal resident memory (VmRSS) with %d signed-in sessions (sessions_active %s)", n, active),
			float64(rss)/1024, 128, "%.1f MB", "≤ 128 MB"),
		note("portal peak resident memory (VmHWM) over the whole run", fmt.Sprintf("%.1f MB", float64(hwm)/1024)),
	}
}
