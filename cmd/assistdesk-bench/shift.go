package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// The shift: a large helpdesk on three instances for a while, each
// technician taking calls. A call is what a technician does for a caller:
// types the caller's name into search (a first keystrokes' search, then
// the whole name), opens the caller's page, opens a device's page, goes
// back to the caller's page, and in one call of shiftAssistEvery requests
// assistance there and watches it as the page does. Between two steps the
// technician thinks (exponential, mean -shift-think), so a thousand
// technicians open about a hundred pages a second.

// shiftAssistEvery: one call in this many ends with a request for assistance.
const shiftAssistEvery = 4

// Intune's limits the simulator applies in the shift (per app, per 20 s).
const (
	intuneRequestLimit = 2000
	intuneWriteLimit   = 200
)

// shiftSystem is three portals on one PostgreSQL database, with their
// default budgets, and a simulator of the large tenant that answers at
// the user page's latency and throttles as Intune does.
func shiftSystem(o options) system {
	return system{
		tenant: "large", latency: o.latency, readLimit: intuneRequestLimit, writeLimit: intuneWriteLimit,
		instances: 3, postgres: true, technicians: o.shiftTechnicians,
	}
}

// caller is someone a technician is on the phone with: a person of the
// large tenant and one of their devices.
type caller struct {
	user, name, device string
}

// callers picks n people with devices from the large tenant the simulator
// serves (it is deterministic), leaving out the shared accounts.
func callers(n int) []caller {
	t := graphsim.LargeTenant(time.Now())
	first := map[string]string{}
	for _, d := range t.Devices {
		if _, ok := first[d.UserID]; !ok && d.UserID != "" {
			first[d.UserID] = d.ID
		}
	}
	var out []caller
	for _, u := range t.Users {
		if d, ok := first[u.ID]; ok && !strings.HasPrefix(u.UserPrincipalName, "kiosk.") && u.GivenName != "" {
			out = append(out, caller{user: u.ID, name: u.DisplayName, device: d})
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:min(n, len(out))]
}

// action is a kind of step of a call.
type action string

const (
	searchAction  action = "search"
	userAction    action = "user page"
	deviceAction  action = "device page"
	requestAction action = "request for assistance"
	pollAction    action = "watch poll"
)

var actions = []action{searchAction, userAction, deviceAction, requestAction, pollAction}

// actionOf is the action a Graph endpoint (the portal's metric label)
// serves; "" for the connector status, read once per technician.
func actionOf(endpoint string) action {
	switch {
	case strings.HasPrefix(endpoint, "GET /users?$search"), strings.HasPrefix(endpoint, "GET /deviceManagement/managedDevices?$filter"):
		return searchAction
	case endpoint == "GET /users/{id}", endpoint == "GET /users/{id}/managedDevices":
		return userAction
	case strings.HasSuffix(endpoint, "?$select=remoteAssistance"):
		return pollAction
	case strings.HasPrefix(endpoint, "GET /deviceManagement/managedDevices/{id}"):
		return deviceAction
	case strings.HasPrefix(endpoint, "POST requestRemoteAssistance"):
		return requestAction
	}
	return ""
}

// answer is how a technician reads one answer of the shift.
type answer int

const (
	answered   answer = iota // the page, or the request's status
	intuneBusy               // the read budget's "Intune is busy, try again in …"
	graph429                 // Graph's throttling, shown to the technician
	unclear                  // anything else
)

// Sentences of the English catalogue that tell the answers apart.
const (
	busySentence     = "Intune was not asked"
	throttleSentence = "throttling requests"
)

func classifyShift(status int, body string) answer {
	switch {
	case strings.Contains(body, throttleSentence) || strings.Contains(body, "HTTP 429"):
		return graph429
	case strings.Contains(body, busySentence):
		return intuneBusy
	case status == http.StatusOK || status == http.StatusAccepted:
		return answered
	}
	return unclear
}

// shiftLog is what the technicians of a shift saw.
type shiftLog struct {
	mu        sync.Mutex
	done      map[action]int
	answers   map[answer]int
	latencies map[action][]time.Duration
	example   string    // the first unclear answer
	cpu       []float64 // share of a CPU: the simulator, the bench, each portal
}

func (l *shiftLog) record(a action, status int, body string, err error, took time.Duration) answer {
	k := unclear
	if err == nil {
		k = classifyShift(status, body)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done[a]++
	l.answers[k]++
	l.latencies[a] = append(l.latencies[a], took)
	if k == unclear && l.example == "" {
		if err != nil {
			l.example = err.Error()
		} else {
			l.example = describe(status, body)
		}
	}
	return k
}

// technician is one signed-in technician of the shift.
type technician struct {
	c      *http.Client
	portal string
	csrf   string
	log    *shiftLog
}

func (t *technician) send(ctx context.Context, a action, method, path string, form url.Values) (string, answer) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, t.portal+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", t.csrf)
	}
	if a == searchAction || a == pollAction || a == requestAction {
		req.Header.Set("HX-Request", "true")
	}
	started := time.Now()
	status, text, err := do(t.c, req)
	if ctx.Err() != nil {
		return "", unclear // the shift ended under it: not an answer
	}
	return text, t.log.record(a, status, text, err, time.Since(started))
}

var (
	watchURL   = regexp.MustCompile(`hx-get="(/assistance/[^"]+)"`)
	watchDelay = regexp.MustCompile(`hx-trigger="load delay:(\d+)ms"`)
	assistForm = regexp.MustCompile(`<form[^>]+action="(/users/[^"]+/assistance)"[^>]*>((?s:.*?))</form>`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// call takes one caller through search, their page, a device's page, back
// to their page, and now and then a request for assistance.
func (t *technician) call(ctx context.Context, who caller, think time.Duration, assist bool) {
	step := func() bool { return pause(ctx, thinkTime(think)) }
	prefix := strings.ToLower(strings.Fields(who.name)[0])
	prefix = prefix[:min(3, len(prefix))]
	if t.send(ctx, searchAction, http.MethodGet, "/search?q="+url.QueryEscape(prefix), nil); !pause(ctx, 300*time.Millisecond) {
		return
	}
	t.send(ctx, searchAction, http.MethodGet, "/search?q="+url.QueryEscape(who.name), nil)
	if !step() {
		return
	}
	userPage := "/users/" + who.user
	t.send(ctx, userAction, http.MethodGet, userPage, nil)
	if !step() {
		return
	}
	t.send(ctx, deviceAction, http.MethodGet, "/devices/"+who.device, nil)
	if !step() {
		return
	}
	page, _ := t.send(ctx, userAction, http.MethodGet, userPage, nil)
	if !assist || !step() {
		return
	}
	m := assistForm.FindStringSubmatch(page)
	if m == nil {
		return // the page showed no request form (e.g. Intune was busy)
	}
	form := url.Values{}
	for _, in := range hiddenIn.FindAllStringSubmatch(m[2], -1) {
		form.Set(in[1], html.UnescapeString(in[2]))
	}
	status, _ := t.send(ctx, requestAction, http.MethodPost, m[1], form)
	t.watch(ctx, status)
}

// watch polls a request's status as its fragment asks, until it stops
// asking or the watch's two minutes are over.
func (t *technician) watch(ctx context.Context, fragment string) {
	until := time.Now().Add(2 * time.Minute)
	for time.Now().Before(until) {
		next, delay := watchURL.FindStringSubmatch(fragment), watchDelay.FindStringSubmatch(fragment)
		if next == nil || delay == nil {
			return
		}
		ms, _ := strconv.Atoi(delay[1])
		if !pause(ctx, time.Duration(ms)*time.Millisecond) {
			return
		}
		fragment, _ = t.send(ctx, pollAction, http.MethodGet, html.UnescapeString(next[1]), nil)
	}
}

// measureShift runs the shift and reads what the simulator received.
func measureShift(ctx context.Context, o options, env *environment, stdout io.Writer) ([]row, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = o.shiftTechnicians
	defer transport.CloseIdleConnections()
	portals := env.portals()
	fmt.Fprintf(stdout, "shift: signing in %d technicians over %d instances…\n", o.shiftTechnicians, len(portals))
	browsers, err := signInMany(portals, transport, benchTechnicians(o.shiftTechnicians))
	if err != nil {
		return nil, err
	}
	log := &shiftLog{done: map[action]int{}, answers: map[answer]int{}, latencies: map[action][]time.Duration{}}
	techs := make([]*technician, len(browsers))
	for i, c := range browsers {
		t := &technician{c: c, portal: portals[i%len(portals)], log: log}
		if t.csrf, err = csrfToken(c, t.portal); err != nil {
			return nil, err
		}
		techs[i] = t
	}
	pool := callers(20 * len(techs))
	before, err := graphCallsOf(browsers[0], portals)
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(stdout, "shift: %d technicians take calls for %s (think time %s on average)…\n", len(techs), o.shift, o.shiftThink)
	pids := []int{env.graphsim.pid(), os.Getpid(), env.portalP.pid()}
	for _, p := range env.othersP {
		pids = append(pids, p.pid())
	}
	cpuBefore, err := cpuTimes(pids)
	if err != nil {
		return nil, err
	}
	shiftCtx, cancel := context.WithTimeout(ctx, o.shift)
	var wg sync.WaitGroup
	for i, t := range techs {
		wg.Go(func() {
			// A think before the first call too, so that the shift does
			// not open with a thousand searches at once.
			for n := i; pause(shiftCtx, thinkTime(o.shiftThink)); n += len(techs) {
				t.call(shiftCtx, pool[n%len(pool)], o.shiftThink, n%shiftAssistEvery == 0)
			}
		})
	}
	wg.Wait()
	cancel()
	cpuAfter, err := cpuTimes(pids)
	if err != nil {
		return nil, err
	}
	for i := range cpuAfter {
		log.cpu = append(log.cpu, float64(cpuAfter[i]-cpuBefore[i])/float64(o.shift))
	}

	after, err := graphCallsOf(browsers[0], portals)
	if err != nil {
		return nil, err
	}
	env.graphsim.stop()
	sim, err := parseSimSummary(tail(env.graphsim.log, 4096))
	if err != nil {
		return nil, err
	}
	return shiftRows(o, log, before, after, sim), nil
}

// cpuTimes is each process's CPU time so far.
func cpuTimes(pids []int) ([]time.Duration, error) {
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		var err error
		if out[i], err = cpuTime(pid); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// graphCallsOf sums the instances' Graph calls by endpoint.
func graphCallsOf(c *http.Client, portals []string) (map[string]float64, error) {
	sum := map[string]float64{}
	for _, p := range portals {
		calls, err := graphCalls(c, p)
		if err != nil {
			return nil, err
		}
		for ep, n := range calls {
			sum[ep] += n
		}
	}
	return sum, nil
}

func shiftRows(o options, log *shiftLog, before, after map[string]float64, sim simSummary) []row {
	perAction := map[action]int{}
	for ep, n := range after {
		perAction[actionOf(ep)] += int(n - before[ep])
	}
	total := 0
	for _, n := range log.done {
		total += n
	}
	var times []string
	for _, a := range actions {
		if s := sortedCopy(log.latencies[a]); len(s) > 0 {
			times = append(times, fmt.Sprintf("%s %s / %s", a, ms(percentile(s, 50)), ms(percentile(s, 99))))
		}
	}
	what := fmt.Sprintf("%d technicians on 3 instances (PostgreSQL), large tenant, %s", o.shiftTechnicians, o.shift)
	rows := []row{
		note("shift: "+what+": actions (pages, requests, polls)", fmt.Sprintf("%d, %.0f/s", total, float64(total)/o.shift.Seconds())),
		note("shift: answer time p50 / p99 by action", strings.Join(times, "; ")),
		note("shift: CPU busy: simulator / load generator and provider (both on CPU 1, beside PostgreSQL) / the 3 portals (CPU 0)",
			fmt.Sprintf("%.0f%% / %.0f%% / %.0f%%", 100*log.cpu[0], 100*log.cpu[1], 100*(log.cpu[2]+log.cpu[3]+log.cpu[4]))),
		check("shift: every answer in words: answered / Intune busy (the read budget) / unclear",
			fmt.Sprintf("%d / %d / %d", log.answers[answered], log.answers[intuneBusy], log.answers[unclear])+exampleOf(log.example),
			log.answers[unclear] == 0, "0 unclear"),
		atMost("shift: Graph 429 shown to technicians", float64(log.answers[graph429]), 0, "%.0f", "0"),
		atMost(fmt.Sprintf("shift: most Intune requests the simulator received in any %s window", sim.intuneWindow),
			float64(sim.maxIntune), intuneRequestLimit, "%.0f", fmt.Sprintf("≤ %d (Intune's limit)", intuneRequestLimit)),
		check("shift: requests the simulator's read limit / write limit refused",
			fmt.Sprintf("%d / %d", sim.readLimited, sim.limited), sim.readLimited+sim.limited == 0, "0 / 0"),
	}
	var costs []string
	for _, a := range actions {
		if n := log.done[a]; n > 0 {
			costs = append(costs, fmt.Sprintf("%s %.2f (%d)", a, float64(perAction[a])/float64(n), n))
		}
	}
	rows = append(rows, note("shift: answers that said Intune is busy (the read budget spent: Intune's 2,000 requests per 20 s are the bottleneck at this pace)",
		fmt.Sprintf("%.1f%%", 100*float64(log.answers[intuneBusy])/float64(max(1, total)))))
	rows = append(rows, note("shift: Graph calls per action (actions done)", strings.Join(costs, "; ")+
		fmt.Sprintf("; connector status %d in all", perAction[""])))
	return rows
}

func exampleOf(s string) string {
	if s == "" {
		return ""
	}
	return " (e.g. " + s + ")"
}
