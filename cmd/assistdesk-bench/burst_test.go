package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/assistdesk/assistdesk/views/components"
)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestClassify reads the portal's own component in each phase.
func TestClassify(t *testing.T) {
	const id = "0f8fad5b-d9cb-469f-a165-70867728950e"
	status := "/assistance/" + id
	request := func(p components.RequestProps) string {
		p.AttemptID = id
		return render(t, components.Request(p))
	}
	okOutcome := request(components.RequestProps{Phase: components.PhaseAccepted, PollURL: status, Support: components.SupportProps{Status: 204}})
	budget := request(components.RequestProps{Phase: components.PhaseRefused, RetryAfter: 12 * time.Second})
	graphThrottled := request(components.RequestProps{Phase: components.PhaseFailed, Reason: components.ReasonThrottled,
		Support: components.SupportProps{Status: 429, Code: "TooManyRequests"}})
	waiting := func(phase components.Phase, poll string) string {
		return request(components.RequestProps{Phase: phase, PollURL: poll, Next: 17 * time.Second})
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   class
		next   string
	}{
		{"sent at once", http.StatusOK, okOutcome, sent, ""},
		{"queued", http.StatusAccepted, waiting(components.PhaseQueued, status), queued, status},
		{"still queued, polled", http.StatusOK, waiting(components.PhaseQueued, status), queued, status},
		{"being sent, polled", http.StatusOK, waiting(components.PhaseSending, status), queued, status},
		{"sent after waiting, polled", http.StatusOK, okOutcome, sent, ""},
		{"session ready, polled", http.StatusOK, request(components.RequestProps{Phase: components.PhaseReady}), sent, ""},
		{"refused at once", http.StatusTooManyRequests, budget, refused, ""},
		{"refused after waiting, polled", http.StatusOK, budget, refused, ""},
		{"Graph still throttling after MAX_WAIT", http.StatusBadGateway, graphThrottled, refused, ""},
		{"Graph still throttling after MAX_WAIT, polled", http.StatusOK, graphThrottled, refused, ""},
		{"Graph throttling", http.StatusAccepted, waiting(components.PhaseRetrying, status), throttled, status},
		{"Graph throttling, polled", http.StatusOK, waiting(components.PhaseRetrying, status), throttled, status},
		{"a status that does not poll", http.StatusAccepted, waiting(components.PhaseQueued, ""), other, ""},
		{"a 204 with the wrong status", http.StatusBadGateway, okOutcome, other, ""},
		{"a refusal that is not the budget's", http.StatusTooManyRequests, "<p>Too many assistance requests from you in the last minute.</p>", other, ""},
		{"a Graph failure", http.StatusBadGateway, request(components.RequestProps{Phase: components.PhaseFailed, Reason: components.ReasonUnavailable,
			Support: components.SupportProps{Status: 503, Code: "UnknownError"}}), other, ""},
		{"an error page", http.StatusServiceUnavailable, "<html><body><h1>Service Unavailable</h1></body></html>", other, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next := classify(tt.status, tt.body)
			if got != tt.want || next != tt.next {
				t.Fatalf("classify = %s, %q; want %s, %q", got, next, tt.want, tt.next)
			}
		})
	}
}

func TestAssignSpreadsEvenly(t *testing.T) {
	for _, technicians := range []int{4, 5} {
		perInstance := [2]int{}
		for n := range 10 * technicians {
			tech, instance := assign(n, technicians, 2)
			if tech != n%technicians {
				t.Fatalf("request %d sent by technician %d", n, tech)
			}
			if _, earlier := assign(n-technicians, technicians, 2); n >= technicians && earlier == instance {
				t.Errorf("%d technicians: technician %d sends two requests in a row to instance %d", technicians, tech, instance)
			}
			perInstance[instance]++
			if d := perInstance[0] - perInstance[1]; d < -1 || d > 1 {
				t.Fatalf("%d technicians: after %d requests, %v per instance", technicians, n+1, perInstance)
			}
		}
	}
}

func TestParseSimSummary(t *testing.T) {
	log := "Graph simulator on http://127.0.0.1:1 (tokens from http://127.0.0.1:2). Ctrl-C stops it.\n" +
		"Graph simulator stopped: at most 203 writes received in any 20s window; 3 refused by the write limit; 612 requestRemoteAssistance executed; " +
		"at most 1841 Intune requests received from one app in any 1m0s window; 7 refused by the read limit\n"
	got, err := parseSimSummary(log)
	want := simSummary{maxWrites: 203, window: "20s", limited: 3, executed: 612, maxIntune: 1841, intuneWindow: "1m0s", readLimited: 7}
	if err != nil || got != want {
		t.Fatalf("parseSimSummary = %+v, %v; want %+v", got, err, want)
	}
	// A simulator that does not yet report Intune's requests.
	older := "Graph simulator stopped: at most 203 writes received in any 20s window; 3 refused by the write limit; 612 requestRemoteAssistance executed\n"
	got, err = parseSimSummary(older)
	if err != nil || got != (simSummary{maxWrites: 203, window: "20s", limited: 3, executed: 612}) {
		t.Fatalf("parseSimSummary of an older line = %+v, %v", got, err)
	}
	if _, err := parseSimSummary("Graph simulator on http://127.0.0.1:1\n"); err == nil {
		t.Fatal("a log without the summary was accepted")
	}
}

func TestCount(t *testing.T) {
	outcomes := []outcome{
		{first: sent, final: sent, answer: 30 * time.Millisecond},
		{first: queued, final: sent, answer: 5 * time.Millisecond},
		{first: queued, final: sent, answer: 5 * time.Millisecond},
		{first: queued, final: refused, answer: 6 * time.Millisecond},
		{first: queued, final: other, answer: 7 * time.Millisecond, detail: "still waiting"},
		{first: throttled, final: sent, answer: 8 * time.Millisecond},
		{first: refused, final: refused, answer: 4 * time.Millisecond},
		{first: other, final: other, detail: "connection refused"},
	}
	got := count(outcomes)
	want := map[class]int{sent: 1, queued: 4, throttled: 1, refused: 1, other: 1}
	if fmt.Sprint(got.first) != fmt.Sprint(want) {
		t.Errorf("first answers %v, want %v", got.first, want)
	}
	if want := map[class]int{sent: 3, refused: 1, other: 1}; fmt.Sprint(got.waitedEnd) != fmt.Sprint(want) {
		t.Errorf("ends of those that waited %v, want %v", got.waitedEnd, want)
	}
	if got.sentInTotal() != 4 {
		t.Errorf("sent in total %d, want 4", got.sentInTotal())
	}
	if len(got.answers) != 7 || got.example != "still waiting" {
		t.Errorf("answers %v, example %q: want the 7 that were answered, and the first detail", got.answers, got.example)
	}
}

func TestThinkTimeIsExponentialWithTheMean(t *testing.T) {
	if d := thinkTime(0); d != 0 {
		t.Fatalf("no think time: %s", d)
	}
	const n, mean = 200_000, 250 * time.Millisecond
	var sum time.Duration
	below := 0
	for range n {
		d := thinkTime(mean)
		sum += d
		if d < mean {
			below++
		}
	}
	if got := sum / n; got < mean*98/100 || got > mean*102/100 {
		t.Errorf("mean %s, want %s ± 2%%", got, mean)
	}
	// An exponential distribution has 1 − 1/e ≈ 63% below its mean.
	if share := float64(below) / n; share < 0.62 || share > 0.645 {
		t.Errorf("%.3f below the mean, want ≈ 0.632", share)
	}
}
