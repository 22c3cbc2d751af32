package graphsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeClock is the simulator's clock in tests that wait out a Retry-After
// or a session delay: moving it is instant.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: testNow} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// waitForRequest polls until the simulator has recorded n requests: a
// request whose client gave up is recorded only once its handler returns.
func (e *env) waitForRequest(n int) Request {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if reqs := e.sim.Requests(); len(reqs) >= n {
			return reqs[n-1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("request %d was never recorded: its handler is still running", n)
	return Request{}
}

// intuneDoc is the JSON document Intune wraps in an error's message.
type intuneDoc struct {
	Message    string  `json:"Message"`
	RetryAfter *string `json:"RetryAfter"`
}

func wrapped(t *testing.T, ge graphError) intuneDoc {
	t.Helper()
	var doc intuneDoc
	if err := json.Unmarshal([]byte(ge.Error.Message), &doc); err != nil || doc.Message == "" {
		t.Fatalf("message is not Intune's wrapped document: %q (%v)", ge.Error.Message, err)
	}
	return doc
}

func TestLatency(t *testing.T) {
	const latency = 40 * time.Millisecond
	e := newEnv(t, Config{Faults: Faults{Latency: latency}})
	start := time.Now()
	if r := e.get("/v1.0/users?$top=1"); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if took := time.Since(start); took < latency {
		t.Errorf("answered in %v, before the %v latency", took, latency)
	}

	// At run time, with jitter on top.
	if err := e.sim.SetLatency(20*time.Millisecond, 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	e.get("/v1.0/users?$top=1")
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("answered in %v, before the 20ms latency", took)
	}
	if err := e.sim.SetLatency(-time.Second, 0); err == nil {
		t.Error("a negative latency was accepted")
	}
}

func TestJitter(t *testing.T) {
	// Ten draws of up to 50 ms, seeded: far more than 100 ms in all.
	e := newEnv(t, Config{Faults: Faults{Jitter: 50 * time.Millisecond, Seed: 1}})
	start := time.Now()
	for range 10 {
		e.get("/v1.0/users?$top=1")
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("ten requests took %v under 50ms of jitter", took)
	}
}

func TestLatencyEndsWithTheClient(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{Latency: time.Minute}})
	client := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, e.url+"/v1.0/users", nil)
	req.Header.Set("Authorization", "Bearer "+e.iss.Token(t, nil))
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d during a minute of latency", resp.StatusCode)
	}
	if r := e.waitForRequest(1); r.Status != 0 || r.Fault != faultLatency {
		t.Errorf("recorded %+v, want no status and fault %q", r, faultLatency)
	}
}

func TestFailRateIsSeededAndPerMethod(t *testing.T) {
	targets := findAssistTargets(t)
	const posts, gets = 200, 40
	run := func() []int {
		e := newEnv(t, Config{Faults: Faults{Seed: 42, FailRates: []FailRate{{Method: http.MethodPost, Rate: 0.3, Status: http.StatusBadGateway}}}})
		tok := e.iss.Token(t, nil)
		var statuses []int
		for range posts {
			r := e.call(http.MethodPost, targets.paths[2], tok)
			if r.status == http.StatusBadGateway {
				r.wantError(t, http.StatusBadGateway, "BadGateway")
			}
			statuses = append(statuses, r.status)
		}
		for range gets {
			if r := e.get("/beta/deviceManagement/managedDevices/" + targets.devices[2]); r.status != http.StatusOK {
				t.Fatalf("a GET failed under a POST fail rate: %d", r.status)
			}
		}
		failed := 0
		for _, s := range statuses {
			if s == http.StatusBadGateway {
				failed++
			} else if s != http.StatusNoContent {
				t.Fatalf("status %d", s)
			}
		}
		if failed < posts*3/10-25 || failed > posts*3/10+25 {
			t.Errorf("%d of %d POSTs failed at a rate of 0.3", failed, posts)
		}
		if n := len(e.sim.Actions()); n != posts-failed {
			t.Errorf("%d actions, want the %d POSTs that got 204", n, posts-failed)
		}
		return statuses
	}
	first, second := run(), run()
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: %d, then %d with the same seed", i, first[i], second[i])
		}
	}
}

func TestFailRateBodies(t *testing.T) {
	targets := findAssistTargets(t)
	e := newEnv(t, Config{})
	cases := []struct {
		status            int
		intune, directory string // codes
		retryAfter        bool
	}{
		{http.StatusTooManyRequests, "TooManyRequests", "TooManyRequests", true},
		{http.StatusInternalServerError, "UnknownError", "generalException", false},
		{http.StatusBadGateway, "BadGateway", "BadGateway", false},
		{http.StatusServiceUnavailable, "UnknownError", "serviceNotAvailable", true},
		{http.StatusGatewayTimeout, "GatewayTimeout", "GatewayTimeout", false},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				if err := e.sim.SetFailRate(FailRate{Method: method, Rate: 1, Status: tc.status, RetryAfter: 3 * time.Second}); err != nil {
					t.Fatal(err)
				}
			}
			tok := e.iss.Token(t, map[string]any{"oid": "oid-" + strconv.Itoa(tc.status)})
			post := e.call(http.MethodPost, targets.paths[2], tok)
			ge := post.wantError(t, tc.status, tc.intune)
			dir := e.call(http.MethodGet, "/v1.0/users", tok)
			dir.wantError(t, tc.status, tc.directory)
			for _, r := range []response{post, dir} {
				if got := r.header.Get("Retry-After"); (got == "3") != tc.retryAfter {
					t.Errorf("Retry-After %q", got)
				}
			}
			if tc.intune == "UnknownError" || tc.intune == "TooManyRequests" {
				doc := wrapped(t, ge)
				if (doc.RetryAfter != nil && *doc.RetryAfter == "3") != tc.retryAfter {
					t.Errorf("wrapped RetryAfter %v", doc.RetryAfter)
				}
			}
		})
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d failed requests executed the action", n)
	}
	for _, r := range e.sim.Requests() {
		if r.Fault != faultFailRate {
			t.Errorf("request recorded with fault %q, status %d", r.Fault, r.Status)
		}
	}
	if err := e.sim.SetFailRate(FailRate{Method: http.MethodPost, Rate: 0.5, Status: 404}); err == nil {
		t.Error("a 404 fail rate was accepted")
	}
}
