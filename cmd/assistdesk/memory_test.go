package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// The limit makes room for the most requests in flight during a tick,
// lets go of it gradually, and stops growing at maxRoom.
func TestTheMemoryLimitFollowsTheRequestsInFlight(t *testing.T) {
	var m memoryRoom
	limit := func(peak int64) int64 {
		t.Helper()
		l, changed := m.next(peak)
		if !changed {
			return 0
		}
		return l
	}
	if l := limit(0); l != 0 {
		t.Fatalf("at rest the limit moved to %d", l)
	}
	if l := limit(128); l != restingLimit+128*roomPerRequest {
		t.Fatalf("128 in flight: limit %d MiB, want %d", l>>20, (restingLimit+128*roomPerRequest)>>20)
	}
	// A quiet tick gives back a quarter of the room, not all of it.
	if l := limit(0); l != restingLimit+96*roomPerRequest {
		t.Fatalf("a tick after: limit %d MiB, want room for 96", l>>20)
	}
	var last int64
	for range 16 {
		if l := limit(0); l != 0 {
			last = l
		}
	}
	if last != restingLimit {
		t.Fatalf("4 s at rest: limit %d MiB, want back at rest", last>>20)
	}
	if l := limit(1 << 20); l != restingLimit+maxRoom*roomPerRequest {
		t.Fatalf("a million in flight: limit %d MiB, want the cap %d", l>>20, (restingLimit+maxRoom*roomPerRequest)>>20)
	}
}

// count sees the requests the handler is still answering.
func TestRequestsInFlightAreCounted(t *testing.T) {
	var m memoryRoom
	release := make(chan struct{})
	var started sync.WaitGroup
	h := m.count(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		started.Done()
		<-release
	}))
	var done sync.WaitGroup
	for range 5 {
		started.Add(1)
		done.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)) })
	}
	started.Wait()
	if n, p := m.inFlight.Load(), m.peak.Load(); n != 5 || p != 5 {
		t.Fatalf("in flight %d, peak %d; want 5 and 5", n, p)
	}
	close(release)
	done.Wait()
	if n, p := m.inFlight.Load(), m.peak.Load(); n != 0 || p != 5 {
		t.Fatalf("after: in flight %d, peak %d; want 0, and the tick's peak kept at 5", n, p)
	}
	var none *memoryRoom
	if got := none.count(h); got == nil {
		t.Fatal("a nil room must hand the handler back")
	}
}

// Followed live, the limit rises while requests wait and is back at rest
// once they are answered.
func TestTheLimitRisesWithTheLoadAndComesBack(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(restingLimit))
	ctx, cancel := context.WithCancel(context.Background())
	var m memoryRoom
	followed := make(chan struct{})
	go func() { m.follow(ctx); close(followed) }()
	defer func() { cancel(); <-followed }()

	release := make(chan struct{})
	h := m.count(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	var waiting sync.WaitGroup
	for range 40 {
		waiting.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)) })
	}
	limitBecomes := func(want int64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for debug.SetMemoryLimit(-1) != want {
			if time.Now().After(deadline) {
				t.Fatalf("limit %d MiB after %s, want %d MiB", debug.SetMemoryLimit(-1)>>20, within, want>>20)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	limitBecomes(restingLimit+40*roomPerRequest, 2*roomTick)
	close(release)
	waiting.Wait()
	limitBecomes(restingLimit, 20*roomTick)
}
