package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// pollOutcome follows an attempt's status fragment as htmx would, on the
// given portal, until Graph's answer is in.
func pollOutcome(t *testing.T, c *http.Client, portal, statusURL string) *goqSel {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		doc := document(t, get(t, c, portal+statusURL, "HX-Request", "true"))
		request := doc.Find("[data-testid=request]")
		if _, live := request.Attr("data-live"); !live && request.Length() == 1 {
			return request
		}
		if next := request.AttrOr("hx-get", ""); next != "" {
			statusURL = next
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s never became final", statusURL)
	return nil
}

// retryCountdown is the wait left of a 2 s Retry-After, however long the
// page took to render on a slow machine.
var retryCountdown = regexp.MustCompile(`tries again in [12]\x{a0}s`)

func TestA429IsRetriedAfterRetryAfterAndPolledFromAnyInstance(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	b, _ := s.secondInstance(t, "b")
	if err := s.sim.ThrottleMethod(http.MethodPost, 1, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	device := s.sim.Tenant().Devices[20]
	resp := s.assist(t, c, "/devices/"+device.ID+"/assistance", nil)
	doc := document(t, resp)
	watch := doc.Find("[data-testid=request]")
	if resp.StatusCode != http.StatusAccepted || watch.AttrOr("data-phase", "") != "retrying" || !retryCountdown.MatchString(watch.Text()) {
		t.Fatalf("a throttled request: status %d, %q", resp.StatusCode, doc.Text())
	}
	// The other instance reads the same state from the shared trail.
	other := document(t, get(t, c, b.URL+watch.AttrOr("hx-get", ""), "HX-Request", "true")).Find("[data-testid=request]")
	if phase := other.AttrOr("data-phase", ""); phase != "retrying" && phase != "sending" && phase != "accepted" {
		t.Fatalf("instance B shows %s: %q", phase, other.Text())
	}
	out := pollOutcome(t, c, b.URL, watch.AttrOr("hx-get", ""))
	if out.AttrOr("data-phase", "") != "accepted" || !strings.Contains(out.Text(), "HTTP 204") {
		t.Fatalf("after the retry: %s", out.Text())
	}
	if n := len(s.sim.Actions()); n != 1 {
		t.Fatalf("%d actions, want 1", n)
	}
	if n := s.sim.EarlyRetries(); n != 0 {
		t.Fatalf("%d retries came before Retry-After", n)
	}
}

func TestThrottlingLongerThanMaxWaitIsFinal(t *testing.T) {
	s := newStackWith(t, stackOptions{maxWait: time.Second})
	c := s.signedIn(t)
	if err := s.sim.ThrottleMethod(http.MethodPost, 1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	resp := s.assist(t, c, "/devices/"+s.sim.Tenant().Devices[21].ID+"/assistance", nil)
	text := document(t, resp).Text()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(text, "HTTP 429") || !strings.Contains(text, "Try again in 30\u00a0s") ||
		!strings.Contains(text, "Nothing reached the device") {
		t.Fatalf("status %d: %s", resp.StatusCode, text)
	}
	if n := len(s.graphCalls("POST", "/")); n != 1 {
		t.Fatalf("%d POSTs, want 1: no resend past MAX_WAIT", n)
	}
}

func TestNoResendAfterATimeoutOr5xx(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		s := newStack(t)
		c := s.signedIn(t)
		posts := 0
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost {
				return false
			}
			posts++
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
			return true
		})
		s.assist(t, c, "/devices/"+s.sim.Tenant().Devices[22].ID+"/assistance", nil)
		time.Sleep(1500 * time.Millisecond) // a background resend would have happened by now
		if posts != 1 {
			t.Errorf("%d: Graph got %d POSTs, want 1", status, posts)
		}
	}
}

func TestATimedOutRequestIsUnknownAndNotResent(t *testing.T) {
	s := newStackWith(t, stackOptions{graphTimeout: 300 * time.Millisecond})
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[23]
	path := "/devices/" + device.ID + "/assistance"
	form := s.assistForm(t, c, path) // the page was open before the device stopped answering
	s.sim.SetDeviceFault(device.ID, graphsim.Hang)
	resp := signintest.Post(t, c, s.portal.URL, path, form)
	if text := document(t, resp).Text(); resp.StatusCode != http.StatusBadGateway || !strings.Contains(text, "may still have accepted") {
		t.Fatalf("a request Graph never answered: status %d, %s", resp.StatusCode, text)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(s.graphCalls("POST", "/")); n != 1 {
		t.Fatalf("%d POSTs after a timeout, want 1", n)
	}
	if rows := s.attempts(t); len(rows) != 1 || rows[0].Outcome != audit.Unknown {
		t.Fatalf("audit %+v, want one unknown attempt", rows)
	}
}

func TestWriteBudgetQueuesThenSends(t *testing.T) {
	s := newStackWith(t, stackOptions{writeBudget: 2, budgetWindow: time.Second, maxWait: 5 * time.Second})
	c := s.signedIn(t)
	var queued []string
	for i := range 4 {
		resp := s.assist(t, c, "/devices/"+s.sim.Tenant().Devices[30+i].ID+"/assistance", nil)
		doc := document(t, resp)
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusAccepted:
			watch := doc.Find("[data-testid=request]")
			if watch.AttrOr("data-phase", "") != "queued" || !strings.Contains(watch.Text(), "write limit") {
				t.Fatalf("request %d: %q", i, watch.Text())
			}
			queued = append(queued, watch.AttrOr("hx-get", ""))
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	if len(queued) != 2 {
		t.Fatalf("%d requests queued, want 2 beyond a budget of 2", len(queued))
	}
	for _, u := range queued {
		if out := pollOutcome(t, c, s.portal.URL, u); out.AttrOr("data-phase", "") != "accepted" {
			t.Fatalf("a queued request ended as %s", out.Text())
		}
	}
	if n := len(s.sim.Actions()); n != 4 {
		t.Fatalf("%d actions, want 4", n)
	}
}

func TestABurstAcrossTwoInstancesStaysWithinTheWriteBudget(t *testing.T) {
	onBothDatabases(t, stackOptions{assistRateLimit: 1000, writeBudget: 200, maxWait: 500 * time.Millisecond}, func(t *testing.T, s *stack) {
		b, _ := s.secondInstance(t, "b")
		portals := []string{s.portal.URL, b.URL}
		harper := s.signedIn(t)
		token := s.csrfToken(t, harper)
		// 500 requests, 64 in flight at a time: a burst from many browsers,
		// with time enough for SQLite's one writer under the race detector.
		patient := *harper
		patient.Timeout = time.Minute
		harper = &patient
		inFlight := make(chan struct{}, 64)
		devices := s.sim.Tenant().Devices[:500]
		statuses := make([]int, len(devices))
		var wg sync.WaitGroup
		for i, d := range devices {
			wg.Go(func() {
				inFlight <- struct{}{}
				defer func() { <-inFlight }()
				if resp, err := harper.Do(assistRequest(portals[i%2], "/devices/"+d.ID+"/assistance", d, token)); err == nil {
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}
			})
		}
		wg.Wait()
		sent, refused := 0, 0
		for i, st := range statuses {
			switch st {
			case http.StatusOK:
				sent++
			case http.StatusTooManyRequests:
				refused++
			default:
				t.Fatalf("request %d: status %d", i, st)
			}
		}
		if sent != 200 || refused != 300 {
			t.Fatalf("%d sent, %d refused; want 200 and 300", sent, refused)
		}
		if n := s.sim.WritesInWindow(); n > 200 {
			t.Fatalf("Graph received %d writes in one 20 s window, over the budget of 200", n)
		}
		budgetRefusals := 0
		for _, a := range s.attemptsAll(t) {
			if a.Outcome == audit.Refused && a.RefusedReason == audit.ReasonWriteBudget {
				budgetRefusals++
			}
		}
		if budgetRefusals != 300 {
			t.Fatalf("%d attempts recorded as refused by the write budget, want 300", budgetRefusals)
		}
	})
}

// A technician who leaves the page while Graph is slow does not cut the
// call off: its answer is recorded, not turned into an unknown outcome.
func TestLeavingThePageDoesNotCutTheRequestOff(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	device := s.sim.Tenant().Devices[24]
	path := "/devices/" + device.ID + "/assistance"
	form := s.assistForm(t, c, path)
	s.sim.SetDeviceFault(device.ID, graphsim.Slow(time.Second))
	ctx, leave := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer leave()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.portal.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", s.csrfToken(t, c))
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request was answered before the browser left")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rows := s.attempts(t); len(rows) == 1 && rows[0].Outcome != audit.Pending {
			if rows[0].Outcome != audit.Succeeded {
				t.Fatalf("the request ended as %s after the browser left", rows[0].Outcome)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the request never ended")
}
