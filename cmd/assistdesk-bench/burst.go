package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/views/components"
)

// burstDevices is how many distinct devices the burst can address: those
// of the large tenant's shared accounts. The duplicate guard refuses a
// second request for a device while one is pending, so every request of
// the burst needs a device of its own; the demo tenant has too few.
const burstDevices = graphsim.LargeSharedAccounts * graphsim.LargeSharedDevices

// pollEvery is how often a technician's page asks how a waiting request
// is doing: the status fragment's hx-trigger (views/components/watch.templ).
const pollEvery = 3 * time.Second

// databaseName names -burst-database's values in the report.
var databaseName = map[string]string{"postgres": "PostgreSQL", "sqlite": "SQLite"}

// burstSystem is two portals on one database with the write budget
// and MAX_WAIT under test, and a simulator of the large tenant that
// answers at the user page's latency and limits writes as Intune does, at
// the budget.
func burstSystem(o options) system {
	return system{
		tenant: "large", latency: o.latency, writeLimit: o.writeBudget, instances: 2, postgres: o.burstDatabase == "postgres",
		portalEnv: map[string]string{
			"ASSISTDESK_WRITE_BUDGET": strconv.Itoa(o.writeBudget),
			"ASSISTDESK_MAX_WAIT":     o.maxWait.String(),
		},
	}
}

// measureBurst sends o.burst assistance requests evenly over o.burstOver
// through both instances, follows every waiting one until it ends, and
// then reads from the simulator what reached Graph.
func measureBurst(ctx context.Context, o options, env *environment, stdout io.Writer) ([]row, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	defer transport.CloseIdleConnections()
	fmt.Fprintf(stdout, "burst: signing in %d technicians, half on each instance…\n", o.burstTechnicians)
	browsers, err := signInMany(env.portals(), transport, demoTechnicians(o.burstTechnicians))
	if err != nil {
		return nil, err
	}
	// The portal ends a waiting request within MAX_WAIT of its creation;
	// 10 s more cover the last Graph call and the page's last poll.
	b := &burst{portals: env.portals(), browsers: browsers, followFor: o.maxWait + 10*time.Second}
	for i, c := range browsers {
		token, err := csrfToken(c, b.portals[i%len(b.portals)])
		if err != nil {
			return nil, err
		}
		b.tokens = append(b.tokens, token)
	}
	targets, err := burstTargets(ctx, browsers[0], b.portals[0], o.burst)
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(stdout, "burst: %d requests over %s, then following the waiting ones (up to MAX_WAIT %s)…\n", len(targets), o.burstOver, o.maxWait)
	outcomes, spread := b.run(ctx, targets, o.burstOver)
	// The simulator says what it received when it stops.
	env.graphsim.stop()
	sim, err := parseSimSummary(tail(env.graphsim.log, 4096))
	if err != nil {
		return nil, err
	}
	return burstRows(o, len(b.portals), spread, outcomes, sim), nil
}

// target is one device's request form, as the user page shows it (route 1).
type target struct {
	path string
	form url.Values
}

// burstTargets reads the request forms of n devices from the user pages
// of the large tenant's shared accounts, as a technician's browser gets
// them: each carries the device's facts, signed by the portal.
func burstTargets(ctx context.Context, c *http.Client, portal string, n int) ([]target, error) {
	var out []target
	for account := 1; len(out) < n; account++ {
		if account > graphsim.LargeSharedAccounts {
			return nil, fmt.Errorf("setup: the shared accounts hold fewer than %d devices", n)
		}
		page := portal + "/users/" + url.PathEscape(graphsim.LargeSharedUPN(account)) + "?show=1000"
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		status, body, err := do(c, req)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("setup: %s: status %d, %v", page, status, err)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("setup: %s: %w", page, err)
		}
		out = append(out, requestForms(doc, n-len(out))...)
	}
	return out, nil
}

// requestForms are up to n of a page's request forms as htmx posts them:
// the device's facts, signed by the portal, without the anti-forgery
// field (htmx sends the token in a header).
func requestForms(doc *goquery.Document, n int) []target {
	var out []target
	doc.Find("[data-testid=device] form.assist-form").EachWithBreak(func(_ int, f *goquery.Selection) bool {
		form := url.Values{}
		f.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
			if name := in.AttrOr("name", ""); name != "csrf_token" {
				form.Set(name, in.AttrOr("value", ""))
			}
		})
		out = append(out, target{path: f.AttrOr("action", ""), form: form})
		return len(out) < n
	})
	return out
}

// csrfToken reads the anti-forgery token of c's session, as its pages
// hand it to htmx.
func csrfToken(c *http.Client, portal string) (token string, err error) {
	err = runFlow(func(t testing.TB) { token = signintest.CSRFToken(t, c, portal) })
	return token, err
}

// burst is the technicians of the burst and where they send.
type burst struct {
	portals   []string
	browsers  []*http.Client
	tokens    []string // anti-forgery token of each browser's session
	followFor time.Duration
}

// outcome is what a technician saw of one request.
type outcome struct {
	first  class         // the answer to the request
	final  class         // how it ended: the first answer, or for a waiting request its last status
	answer time.Duration // until the first answer
	detail string        // what an answer of class other said
}

// run sends request n at n × over / len(targets), each as soon as it is
// due whatever the earlier ones are doing, and returns every outcome once
// all have ended, with the time from the first request to the last.
func (b *burst) run(ctx context.Context, targets []target, over time.Duration) ([]outcome, time.Duration) {
	outcomes := make([]outcome, len(targets))
	var wg sync.WaitGroup
	start := time.Now()
	var last time.Time
	for n, t := range targets {
		if !pause(ctx, time.Until(start.Add(over*time.Duration(n)/time.Duration(len(targets))))) {
			break
		}
		last = time.Now()
		wg.Go(func() { outcomes[n] = b.request(ctx, n, t) })
	}
	wg.Wait()
	return outcomes, last.Sub(start)
}

// assign is who sends request n and to which instance: technician n mod
// technicians, each technician's requests alternating between the
// instances, and so, within each round of technicians, consecutive
// requests too: an even spread, as a load balancer without affinity makes.
func assign(n, technicians, instances int) (tech, instance int) {
	tech = n % technicians
	return tech, (tech + n/technicians) % instances
}

// request sends request n and, while it waits, follows it.
func (b *burst) request(ctx context.Context, n int, t target) outcome {
	tech, instance := assign(n, len(b.browsers), len(b.portals))
	c, portal := b.browsers[tech], b.portals[instance]
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, portal+t.path, strings.NewReader(t.form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", b.tokens[tech])
	posted := time.Now()
	status, body, err := do(c, req)
	o := outcome{answer: time.Since(posted)}
	if err != nil {
		o.first, o.final, o.detail = other, other, err.Error()
		return o
	}
	var next string
	o.first, next = classify(status, body)
	o.final = o.first
	switch o.first {
	case other:
		o.detail = describe(status, body)
	case queued, throttled:
		b.follow(ctx, c, portal+next, posted.Add(b.followFor), &o)
	}
	return o
}

// follow polls a waiting request's status, as its page does, until it is
// sent or refused, or until deadline, and notes in o how it ended.
func (b *burst) follow(ctx context.Context, c *http.Client, statusURL string, deadline time.Time, o *outcome) {
	o.final, o.detail = other, "still waiting when the bench stopped following it"
	for time.Now().Before(deadline) {
		if !pause(ctx, pollEvery) {
			o.detail = "cut off"
			return
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, statusURL, nil)
		req.Header.Set("HX-Request", "true")
		status, body, err := do(c, req)
		if err != nil {
			o.detail = err.Error()
			return
		}
		switch k, _ := classify(status, body); k {
		case queued, throttled:
			continue
		case other:
			o.detail = describe(status, body)
		default:
			o.final, o.detail = k, ""
		}
		return
	}
}

// do sends req and reads the whole answer.
func do(c *http.Client, req *http.Request) (int, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// class is how a technician would read an answer.
type class string

const (
	sent    class = "sent"    // Graph's 204 is shown
	queued  class = "queued"  // a status that refreshes itself while the request waits for the budget
	refused class = "refused" // the write budget's refusal, saying nothing was sent
	// throttled is a status that refreshes itself while the portal waits
	// out Graph's 429: clear, but what the budget is there to prevent.
	throttled class = "throttled"
	other     class = "other" // anything else: unclear
)

// classify reads an answer to an assistance request, or to a poll of a
// waiting one (hence 200 for every class of a poll). A waiting status must
// poll and say what it waits for: the write limit, Graph's answer once it
// is being sent, or the end of Graph's throttling; it comes with its URL.
func classify(status int, body string) (class, string) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return other, ""
	}
	request := doc.Find("[data-testid=request]")
	if request.Length() != 1 {
		return other, ""
	}
	phase, poll := components.Phase(request.AttrOr("data-phase", "")), request.AttrOr("hx-get", "")
	graphStatus := request.Find("[data-testid=graph-status]").Text()
	switch {
	case status == http.StatusOK && (phase == components.PhaseAccepted || phase == components.PhaseReady):
		return sent, ""
	case (status == http.StatusTooManyRequests || status == http.StatusOK) && phase == components.PhaseRefused:
		return refused, ""
	case (status == http.StatusBadGateway || status == http.StatusOK) && phase == components.PhaseFailed &&
		strings.HasPrefix(graphStatus, "HTTP 429"):
		// Graph still throttling when MAX_WAIT ran out: clear, and counted
		// against the budget by the simulator's refusals.
		return refused, ""
	case status != http.StatusAccepted && status != http.StatusOK || poll == "":
		return other, ""
	case phase == components.PhaseQueued || phase == components.PhaseSending:
		return queued, poll
	case phase == components.PhaseRetrying:
		return throttled, poll
	}
	return other, ""
}

// describe is the start of an answer's text, for the report.
func describe(status int, body string) string {
	text := body
	if doc, err := goquery.NewDocumentFromReader(strings.NewReader(body)); err == nil {
		text = doc.Text()
	}
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 120 {
		text = text[:120] + "…"
	}
	return fmt.Sprintf("status %d: %s", status, text)
}

// simSummary is what `assistdesk graphsim` prints when it stops.
type simSummary struct {
	maxWrites int    // most writes received in any one window
	window    string // that window
	limited   int    // writes refused (429) by the write limit
	executed  int    // requestRemoteAssistance answered 204

	// Intune's limit on any request; "" and 0 from a simulator that does
	// not report it.
	maxIntune    int    // most requests one app sent to Intune in any one window
	intuneWindow string // that window
	readLimited  int    // requests refused (429) by the read limit
}

var simSummaryLine = regexp.MustCompile(`at most (\d+) writes received in any (\S+) window; (\d+) refused by the write limit; (\d+) requestRemoteAssistance executed` +
	`(?:; at most (\d+) Intune requests received from one app in any (\S+) window; (\d+) refused by the read limit)?`)

// parseSimSummary finds the simulator's last summary line in its log.
func parseSimSummary(log string) (simSummary, error) {
	all := simSummaryLine.FindAllStringSubmatch(log, -1)
	if len(all) == 0 {
		return simSummary{}, fmt.Errorf("the simulator's log ends without its summary of writes:\n%s", log)
	}
	m := all[len(all)-1]
	maxWrites, _ := strconv.Atoi(m[1])
	limited, _ := strconv.Atoi(m[3])
	executed, _ := strconv.Atoi(m[4])
	maxIntune, _ := strconv.Atoi(m[5])
	readLimited, _ := strconv.Atoi(m[7])
	return simSummary{maxWrites: maxWrites, window: m[2], limited: limited, executed: executed,
		maxIntune: maxIntune, intuneWindow: m[6], readLimited: readLimited}, nil
}

// tally counts outcomes by first answer and, for those that waited, by
// end, and keeps the first description of an answer of class other.
type tally struct {
	first, waitedEnd map[class]int
	answers          []time.Duration
	example          string
}

func count(outcomes []outcome) tally {
	t := tally{first: map[class]int{}, waitedEnd: map[class]int{}}
	for _, o := range outcomes {
		t.first[o.first]++
		if o.first == queued || o.first == throttled {
			t.waitedEnd[o.final]++
		}
		if o.first != other {
			t.answers = append(t.answers, o.answer)
		}
		if o.detail != "" && t.example == "" {
			t.example = o.detail
		}
	}
	return t
}

// sentInTotal is how many requests the technicians were told were sent,
// at once or after waiting.
func (t tally) sentInTotal() int { return t.first[sent] + t.waitedEnd[sent] }

func burstRows(o options, instances int, spread time.Duration, outcomes []outcome, sim simSummary) []row {
	t := count(outcomes)
	answers := sortedCopy(t.answers)
	otherNote := func(n int) string {
		if n > 0 && t.example != "" {
			return " (first: " + t.example + ")"
		}
		return ""
	}
	return []row{
		note(fmt.Sprintf("burst: %d assistance requests on distinct devices by %d technicians over %s, alternating between %d instances on one %s database (budget %d writes per 20 s, MAX_WAIT %s); answer p50 / p99",
			len(outcomes), o.burstTechnicians, o.burstOver, instances, databaseName[o.burstDatabase], o.writeBudget, o.maxWait),
			fmt.Sprintf("sent over %.1f s; %s / %s", spread.Seconds(), ms(percentile(answers, 50)), ms(percentile(answers, 99)))),
		atMost(fmt.Sprintf("burst: most writes Graph received in any %s window (the simulator's count, whatever its answer)", sim.window),
			float64(sim.maxWrites), float64(o.writeBudget), "%.0f", fmt.Sprintf("≤ %d (the write budget)", o.writeBudget)),
		check("burst: first answers: sent / queued / refused clearly / Graph throttling, retrying / other",
			fmt.Sprintf("%d / %d / %d / %d / %d%s", t.first[sent], t.first[queued], t.first[refused], t.first[throttled], t.first[other], otherNote(t.first[other])),
			t.first[other] == 0, "other = 0"),
		check("burst: requests that waited, followed as their page polls them, ended (within MAX_WAIT + 10 s): sent / refused clearly / other or unfinished",
			fmt.Sprintf("%d / %d / %d%s", t.waitedEnd[sent], t.waitedEnd[refused], t.waitedEnd[other], otherNote(t.waitedEnd[other])),
			t.waitedEnd[other] == 0, "other = 0"),
		check("burst: writes Graph refused with 429 (the simulator's write limit, set at the budget, as Intune's)",
			strconv.Itoa(sim.limited), sim.limited == 0, "0"),
		check("burst: requestRemoteAssistance executed by Graph (simulator) = requests technicians were told were sent",
			fmt.Sprintf("%d = %d", sim.executed, t.sentInTotal()), sim.executed == t.sentInTotal(), "equal"),
	}
}
