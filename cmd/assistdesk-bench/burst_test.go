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

// TestClassify reads the portal's own components, with the sentences web/
// puts in them.
func TestClassify(t *testing.T) {
	const id = "0f8fad5b-d9cb-469f-a165-70867728950e"
	status := "/assistance/" + id
	okOutcome := render(t, components.Outcome(components.OutcomeProps{Success: true, Status: 204, AttemptID: id, WatchURL: status + "?follow=1"}))
	budget := render(t, components.Outcome(components.OutcomeProps{AttemptID: id, Code: "WriteBudget",
		Sentence: "The portal's share of Intune's write limit is used up, and waiting longer than 30s was not allowed. Nothing was sent to Intune. Try again in 12s."}))
	graphThrottled := render(t, components.Outcome(components.OutcomeProps{AttemptID: id, Status: 429, Code: "TooManyRequests",
		Sentence: "Microsoft Graph is throttling requests and did not carry this one out. Wait 20s and try again."}))
	watch := func(state string) string {
		return render(t, components.Watch(components.WatchProps{AttemptID: id, URL: status, State: state, Polling: true}))
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   class
		next   string
	}{
		{"sent at once", http.StatusOK, okOutcome, sent, ""},
		{"queued", http.StatusAccepted, watch("Queued for Intune's write limit, about 17 s."), queued, status},
		{"still queued, polled", http.StatusOK, watch("Queued for Intune's write limit: position 3, about 12 s."), queued, status},
		{"being sent, polled", http.StatusOK, watch("Waiting for Microsoft Graph to answer…"), queued, status},
		{"sent after waiting, polled", http.StatusOK, okOutcome, sent, ""},
		{"refused at once", http.StatusTooManyRequests, budget, refused, ""},
		{"refused after waiting, polled", http.StatusOK, render(t, components.Outcome(components.OutcomeProps{AttemptID: id, Code: "WriteBudget",
			Sentence: "The portal's share of Intune's write limit stayed used up for too long. Nothing was sent to Intune. Try again in a minute."})), refused, ""},
		{"Graph still throttling after MAX_WAIT", http.StatusBadGateway, graphThrottled, refused, ""},
		{"Graph still throttling after MAX_WAIT, polled", http.StatusOK, graphThrottled, refused, ""},
		{"Graph throttling", http.StatusAccepted, watch("Graph is throttling requests; retrying in 20 s."), throttled, status},
		{"Graph throttling, polled", http.StatusOK, watch("Graph is throttling requests; retrying in 1 s."), throttled, status},
		{"a status that does not poll", http.StatusAccepted, render(t, components.Watch(components.WatchProps{URL: status, State: "Queued for Intune's write limit, about 17 s."})), other, ""},
		{"a 204 with the wrong status", http.StatusBadGateway, okOutcome, other, ""},
		{"a refusal that is not the budget's", http.StatusTooManyRequests, "<p>Too many assistance requests from you in the last minute.</p>", other, ""},
		{"a Graph failure", http.StatusBadGateway, render(t, components.Outcome(components.OutcomeProps{Status: 503, Code: "UnknownError", Sentence: "Intune is unavailable."})), other, ""},
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
		"Graph simulator stopped: at most 203 writes received in any 20s window; 3 refused by the write limit; 612 requestRemoteAssistance executed\n"
	got, err := parseSimSummary(log)
	if err != nil || got != (simSummary{maxWrites: 203, window: "20s", limited: 3, executed: 612}) {
		t.Fatalf("parseSimSummary = %+v, %v", got, err)
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
