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

	// The latency targets are about technicians, who read a page before
	// opening the next: a closed loop with think time.
	people := shape{o.clients, o.duration, o.think}
	fmt.Fprintf(stdout, "user page: %d technicians, think time %s on average, %s warm-up, %s measured…\n", o.clients, o.think, o.warmup, o.duration)
	closedLoop(ctx, browsers, shape{o.clients, o.warmup, o.think}, env.portal, userPages, http.StatusOK)
	users, err := measured(ctx, env, browsers, people, userPages, http.StatusOK)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "user page: its Graph calls straight to the simulator, same technicians and think time, %s warm-up, %s measured…\n", o.warmup, o.duration)
	slowest, err := replayUserPages(ctx, o, env, people)
	if err != nil {
		return nil, err
	}
	rows = append(rows, latencyRows(o, users, slowest)...)

	// The other pages technicians open, at the same pace (info): a search
	// that could be a device name (three Graph calls) and a device page.
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
		fmt.Fprintf(stdout, "%s: %d technicians, think time %s on average, %s measured…\n", other.name, o.clients, o.think, o.baseline)
		r, err := measured(ctx, env, browsers, shape{o.clients, o.baseline, o.think}, other.paths, http.StatusOK)
		if err != nil {
			return nil, err
		}
		s := sortedCopy(r.latencies)
		rows = append(rows, note(other.name+" with technicians' think time: p50 / p99; portal CPU per page",
			ms(percentile(s, 50))+" / "+ms(percentile(s, 99))+"; "+us(perRequest(r))))
	}

	// The bare page in the same shape: CPU per request depends on the load
	// (an idle process pays a wake-up per request, a busy one batches), so
	// the two pages are compared at the technicians' pace.
	anon := []*http.Client{{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	fmt.Fprintf(stdout, "/login: %d signed-out clients, think time %s on average, %s measured…\n", o.clients, o.think, o.duration)
	bare, err := measured(ctx, env, anon, people, []string{"/login"}, http.StatusOK)
	if err != nil {
		return nil, err
	}

	// Capacity: the same page without think time, every client sending
	// back to back. Informational; CPU per page is read here.
	fmt.Fprintf(stdout, "saturation: user page, %d clients without think time, %s warm-up, %s measured…\n", o.clients, o.warmup, o.saturation)
	closedLoop(ctx, browsers, shape{o.clients, o.warmup, 0}, env.portal, userPages, http.StatusOK)
	saturated, err := measured(ctx, env, browsers, shape{o.clients, o.saturation, 0}, userPages, http.StatusOK)
	if err != nil {
		return nil, err
	}
	rows = append(rows, saturationRows(o, saturated)...)
	// The same page for one technician alone: the floor without contention.
	single, err := measured(ctx, env, browsers[:1], shape{1, o.baseline, 0}, userPages, http.StatusOK)
	if err != nil {
		return nil, err
	}
	s := sortedCopy(single.latencies)
	rows = append(rows, note("user page p50 / p99 for 1 technician alone, no think time (no contention)",
		ms(percentile(s, 50))+" / "+ms(percentile(s, 99))))

	// Baselines: signed-out clients (no cookie jar), same concurrency.
	fmt.Fprintf(stdout, "baselines: /login and /healthz, %s each…\n", o.baseline)
	closedLoop(ctx, anon, shape{o.clients, time.Second, 0}, env.portal, []string{"/login"}, http.StatusOK)
	login, err := measured(ctx, env, anon, shape{o.clients, o.baseline, 0}, []string{"/login"}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	health, err := measured(ctx, env, anon, shape{o.clients, o.baseline, 0}, []string{"/healthz"}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	rows = append(rows, cpuRows(users, bare, saturated, login, health)...)
	rows = append(rows, calls...)

	fmt.Fprintf(stdout, "signing in %d more technicians (to %d sessions)…\n", o.sessions-o.clients, o.sessions)
	more, err := signInMany([]string{env.portal}, transport, demoTechnicians(o.sessions-o.clients))
	if err != nil {
		return nil, err
	}
	rows = append(rows, memoryRows(env, browsers[0], o.clients+len(more))...)
	return rows, nil
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
func measured(ctx context.Context, env *environment, clients []*http.Client, s shape, paths []string, want int) (result, error) {
	pids := []int{env.portalP.pid(), env.graphsim.pid(), os.Getpid()}
	var before [3]time.Duration
	for i, pid := range pids {
		var err error
		if before[i], err = cpuTime(pid); err != nil {
			return result{}, err
		}
	}
	r := result{phase: closedLoop(ctx, clients, s, env.portal, paths, want)}
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

// latencyRows judge the user page of technicians with think time against
// the slowest of its Graph calls, replayed in the same shape.
func latencyRows(o options, users result, slowest []time.Duration) []row {
	s := sortedCopy(users.latencies)
	p50, p99 := percentile(s, 50), percentile(s, 99)
	g50, g99 := percentile(slowest, 50), percentile(slowest, 99)
	return []row{
		note(fmt.Sprintf("user page: requests in %s (%d technicians, think time exponential with mean %s)", o.duration, o.clients, o.think),
			fmt.Sprintf("%d ok, %d failed, %.0f/s", len(users.latencies), users.errors, float64(users.requests())/users.elapsed.Seconds())),
		note("user page p50 / p99", ms(p50)+" / "+ms(p99)),
		note(fmt.Sprintf("slowest Graph call of the user page (of its 2, at once), replayed straight to the simulator in the same shape: p50 / p99 (-latency %s)", o.latency),
			ms(g50)+" / "+ms(g99)),
		atMost("user page p50 ÷ p50 of its slowest Graph call", float64(p50)/float64(g50), 1.05, "%.2f", "≤ 1.05"),
		atMost("user page p99 − p99 of its slowest Graph call", float64(p99-g99)/float64(time.Millisecond), 10, "%.2f ms", "≤ 10 ms"),
		note("CPU busy with technicians: portal (CPU 0) / simulator / load generator+IdP (CPU 1); portal CPU per user page", busy(users)+"; "+us(perRequest(users))),
	}
}

// saturationRows describe the user page without think time: capacity,
// not a target.
func saturationRows(o options, sat result) []row {
	s := sortedCopy(sat.latencies)
	return []row{
		note(fmt.Sprintf("saturation: user page requests in %s (%d clients, no think time)", o.saturation, o.clients),
			fmt.Sprintf("%d ok, %d failed, %.0f/s", len(sat.latencies), sat.errors, float64(sat.requests())/sat.elapsed.Seconds())),
		note("saturation: user page p50 / p99", ms(percentile(s, 50))+" / "+ms(percentile(s, 99))),
		note("saturation: CPU busy: portal (CPU 0) / simulator / load generator+IdP (CPU 1)", busy(sat)),
	}
}

// busy is the share of the phase each process spent on a CPU.
func busy(r result) string {
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / r.elapsed.Seconds() }
	return fmt.Sprintf("%.0f%% / %.0f%% / %.0f%%", share(r.portalCPU), share(r.simCPU), share(r.selfCPU))
}

func perRequest(r result) time.Duration { return r.portalCPU / time.Duration(r.requests()) }

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

// cpuRows compare the portal's CPU per page. The target is judged at the
// technicians' pace, both pages in the same shape; the same comparison
// without think time (the saturated user page against /login as fast as it
// goes) is shown beside it: the bare page's cost falls further under load
// than the user page's, whose Graph calls keep the portal waiting.
func cpuRows(users, bare, saturated, login, health result) []row {
	rate := func(r result) string { return fmt.Sprintf("%.0f/s", float64(r.requests())/r.elapsed.Seconds()) }
	u, b := perRequest(users), perRequest(bare)
	su, sl, sh := perRequest(saturated), perRequest(login), perRequest(health)
	rows := []row{
		note("portal CPU per request with technicians' think time: user page ("+rate(users)+") / /login ("+rate(bare)+")", us(u)+" / "+us(b)),
		note("portal CPU per request, no think time: user page ("+rate(saturated)+") / /login ("+rate(login)+") / /healthz ("+rate(health)+")",
			us(su)+" / "+us(sl)+" / "+us(sh)),
	}
	if b > 0 && sl > 0 {
		rows = append(rows,
			atMost("portal CPU per user page ÷ per /login page, technicians' think time", float64(u)/float64(b), 5, "%.1f×", "≤ 5×"),
			note("the same ratio without think time (each as fast as it goes)", fmt.Sprintf("%.1f×", float64(su)/float64(sl))))
	}
	return rows
}

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
		{"user page " + page, "2", func(n int) bool { return n == 2 },
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
