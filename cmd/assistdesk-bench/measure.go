package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
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

// measure signs technicians in and runs every phase, returning the table.
func measure(ctx context.Context, o options, env *environment, stdout io.Writer) ([]row, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4 * o.clients
	transport.MaxIdleConnsPerHost = 2 * o.clients
	defer transport.CloseIdleConnections()

	fmt.Fprintf(stdout, "signing in %d technicians…\n", o.clients)
	browsers, err := signInMany([]string{env.portal}, transport, benchTechnicians(o.clients))
	if err != nil {
		return nil, err
	}
	// Each user page once per session: it must work, and it caches the
	// technician's connector status and reads as any second page view would.
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

	// The latency targets are about technicians, who read a page before
	// opening the next: a closed loop with think time, on pages read fresh
	// (a page from the read cache makes no Graph call to compare with).
	portal := env.portalServer()
	freshPages := fresh(userPages)
	people := shape{o.clients, o.duration, o.think}
	fmt.Fprintf(stdout, "user page ?fresh=1: %d technicians, think time %s on average, %s warm-up, %s measured…\n", o.clients, o.think, o.warmup, o.duration)
	closedLoop(ctx, browsers, shape{o.clients, o.warmup, o.think}, env.portal, freshPages, http.StatusOK)
	users, err := measured(ctx, env, portal, browsers, people, freshPages, http.StatusOK)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "user page: its Graph calls straight to the simulator, same technicians and think time, %s warm-up, %s measured…\n", o.warmup, o.duration)
	slowest, err := replayUserPages(ctx, o, env, people)
	if err != nil {
		return nil, err
	}
	rows = append(rows, latencyRows(o, users, slowest)...)

	// The other pages technicians open, at the same pace and read fresh
	// (info): a search that could be a device name (three Graph calls) and
	// a device page.
	devicePages, err := devicePaths(browsers[0], env.portal)
	if err != nil {
		return nil, err
	}
	for _, other := range []struct {
		name  string
		paths []string
	}{
		{`search "adele" (whole page)`, []string{"/search?q=adele"}},
		{"device page", devicePages},
	} {
		fmt.Fprintf(stdout, "%s ?fresh=1: %d technicians, think time %s on average, %s measured…\n", other.name, o.clients, o.think, o.short)
		r, err := measured(ctx, env, portal, browsers, shape{o.clients, o.short, o.think}, fresh(other.paths), http.StatusOK)
		if err != nil {
			return nil, err
		}
		s := sortedCopy(r.latencies)
		rows = append(rows, note(other.name+" ?fresh=1 with technicians' think time: p50 / p99; portal CPU per page",
			ms(percentile(s, 50))+" / "+ms(percentile(s, 99))+"; "+us(perRequest(r))))
	}

	// CPU per page against the floor, and what a first page weighs.
	full, err := fullSpeed(ctx, o, env, browsers, stdout)
	if err != nil {
		return nil, err
	}
	rows = append(rows, full...)
	fmt.Fprintln(stdout, "first signed-in page: weighing it and its static files…")
	weight, err := firstPage(env.portal, userPages[0], browsers[0].Jar)
	if err != nil {
		return nil, err
	}
	rows = append(rows, weight...)

	// Capacity: every technician sending fresh pages back to back.
	fmt.Fprintf(stdout, "saturation: user page ?fresh=1, %d technicians without think time, %s warm-up, %s measured…\n", o.clients, o.warmup, o.saturation)
	closedLoop(ctx, browsers, shape{o.clients, o.warmup, 0}, env.portal, freshPages, http.StatusOK)
	saturated, err := measured(ctx, env, portal, browsers, shape{o.clients, o.saturation, 0}, freshPages, http.StatusOK)
	if err != nil {
		return nil, err
	}
	rows = append(rows, saturationRows(o, saturated)...)
	rows = append(rows, calls...)

	fmt.Fprintf(stdout, "signing in %d more technicians (to %d sessions)…\n", o.sessions-o.clients, o.sessions)
	more, err := signInMany([]string{env.portal}, transport, demoTechnicians(o.sessions-o.clients))
	if err != nil {
		return nil, err
	}
	rows = append(rows, memoryRows(env, browsers[0], o.clients+len(more))...)
	return rows, nil
}

// fresh are paths asking for every Graph read made anew (?fresh=1), not
// answered from the technician's read cache.
func fresh(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		out[i] = p + sep + "fresh=1"
	}
	return out
}

// signInMany signs in people (local parts of UPNs), 8 at a time, each in
// a session of its own, people[i] at portals[i%len(portals)].
func signInMany(portals []string, transport http.RoundTripper, people []string) ([]*http.Client, error) {
	n := len(people)
	browsers := make([]*http.Client, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				browsers[i] = newBrowser(transport)
				errs[i] = signIn(browsers[i], portals[i%len(portals)], people[i])
			}
		})
	}
	for i := range people {
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

// result is a measured phase with the CPU each process spent during it:
// the server under load (the portal or the floor), the simulator, and
// this one.
type result struct {
	phase
	serverCPU, simCPU, selfCPU time.Duration
}

// measured runs a closed loop against srv and reads the processes' CPU
// time around it.
func measured(ctx context.Context, env *environment, srv server, clients []*http.Client, s shape, paths []string, want int) (result, error) {
	pids := []int{srv.p.pid(), env.graphsim.pid(), os.Getpid()}
	var before [3]time.Duration
	for i, pid := range pids {
		var err error
		if before[i], err = cpuTime(pid); err != nil {
			return result{}, err
		}
	}
	r := result{phase: closedLoop(ctx, clients, s, srv.url, paths, want)}
	var after [3]time.Duration
	for i, pid := range pids {
		var err error
		if after[i], err = cpuTime(pid); err != nil {
			return result{}, err
		}
	}
	r.serverCPU, r.simCPU, r.selfCPU = after[0]-before[0], after[1]-before[1], after[2]-before[2]
	if r.errors > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d of %d requests to %s failed; first: %v\n", r.errors, r.requests(), strings.Join(paths, ","), r.firstErr)
	}
	if len(r.latencies) == 0 {
		return r, fmt.Errorf("no request to %s succeeded: %v", strings.Join(paths, ","), r.firstErr)
	}
	return r, nil
}

// latencyRows judge the user page read fresh by technicians with think
// time against the slowest of its Graph calls, replayed in the same shape.
func latencyRows(o options, users result, slowest []time.Duration) []row {
	s := sortedCopy(users.latencies)
	p50, p99 := percentile(s, 50), percentile(s, 99)
	g50, g99 := percentile(slowest, 50), percentile(slowest, 99)
	return []row{
		note(fmt.Sprintf("user page ?fresh=1: requests in %s (%d technicians, think time exponential with mean %s)", o.duration, o.clients, o.think),
			fmt.Sprintf("%d ok, %d failed, %.0f/s", len(users.latencies), users.errors, float64(users.requests())/users.elapsed.Seconds())),
		note("user page ?fresh=1 p50 / p99", ms(p50)+" / "+ms(p99)),
		note(fmt.Sprintf("slowest Graph call of the user page (of its 2, at once), replayed straight to the simulator in the same shape: p50 / p99 (-latency %s)", o.latency),
			ms(g50)+" / "+ms(g99)),
		atMost("user page ?fresh=1 p50 ÷ p50 of its slowest Graph call", float64(p50)/float64(g50), 1.03, "%.2f", "≤ 1.03"),
		atMost("user page ?fresh=1 p99 − p99 of its slowest Graph call", float64(p99-g99)/float64(time.Millisecond), 5, "%.2f ms", "≤ 5 ms"),
		note("CPU busy with technicians: portal (CPU 0) / simulator / load generator+IdP (CPU 1); portal CPU per user page", busy(users)+"; "+us(perRequest(users))),
	}
}

// saturationRows describe the user page read fresh without think time:
// capacity, not a target.
func saturationRows(o options, sat result) []row {
	s := sortedCopy(sat.latencies)
	return []row{
		note(fmt.Sprintf("saturation: user page ?fresh=1 requests in %s (%d technicians, no think time)", o.saturation, o.clients),
			fmt.Sprintf("%d ok, %d failed, %.0f/s", len(sat.latencies), sat.errors, float64(sat.requests())/sat.elapsed.Seconds())),
		note("saturation: user page ?fresh=1 p50 / p99", ms(percentile(s, 50))+" / "+ms(percentile(s, 99))),
		note("saturation: CPU busy: portal (CPU 0) / simulator / load generator+IdP (CPU 1); portal CPU per page", busy(sat)+"; "+us(perRequest(sat))),
	}
}

// busy is the share of the phase each process spent on a CPU.
func busy(r result) string {
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / r.elapsed.Seconds() }
	return fmt.Sprintf("%.0f%% / %.0f%% / %.0f%%", share(r.serverCPU), share(r.simCPU), share(r.selfCPU))
}

func perRequest(r result) time.Duration { return r.serverCPU / time.Duration(r.requests()) }

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

// deviceLink finds the links to device pages on a user page.
var deviceLink = regexp.MustCompile(`href="(/devices/[0-9a-fA-F-]{36})"`)

// devicePaths are the device pages the benchmark user pages link to.
func devicePaths(c *http.Client, portal string) ([]string, error) {
	var paths []string
	for _, p := range userPages {
		body, err := getBody(c, portal+p)
		if err != nil {
			return nil, err
		}
		for _, m := range deviceLink.FindAllStringSubmatch(body, -1) {
			paths = append(paths, m[1])
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("setup: the user pages link to no device page")
	}
	return paths, nil
}

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
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	forms := requestForms(doc, 1)
	if len(forms) == 0 {
		return nil, fmt.Errorf("setup: %s shows no Request assistance control", page)
	}
	assist := forms[0]
	steps := []struct {
		flow, target string
		ok           func(int) bool
		do           func() error
	}{
		{"search by UPN (adele.vance@contoso.example)", "1", func(n int) bool { return n == 1 },
			func() error { return get(c, portal+"/search?q=adele.vance%40contoso.example", http.StatusOK) }},
		{`search "adele" (could be a device name or serial)`, "1 + at most 2", func(n int) bool { return n >= 1 && n <= 3 },
			func() error { return get(c, portal+"/search?q=adele", http.StatusOK) }},
		{"user page " + page + "?fresh=1", "2", func(n int) bool { return n == 2 },
			func() error { return get(c, portal+page+"?fresh=1", http.StatusOK) }},
		{"the same user page again (from the technician's read cache)", "0", func(n int) bool { return n == 0 },
			func() error { return get(c, portal+page, http.StatusOK) }},
		{"request assistance (route 1)", "1", func(n int) bool { return n == 1 },
			func() error {
				status, err := postAssistance(c, portal, assist.path, assist.form)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("POST %s: status %d", assist.path, status)
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
		return []row{{Figure: "portal resident memory", Measured: fmt.Sprint(err1, err2), Target: "≤ 64 MB", Result: fail}}
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
			float64(rss)/1024, 64, "%.1f MB", "≤ 64 MB"),
		note("portal peak resident memory (VmHWM) over the whole run", fmt.Sprintf("%.1f MB", float64(hwm)/1024)),
	}
}
