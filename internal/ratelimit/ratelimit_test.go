package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	l := New(30, func() time.Time { return now })
	for i := range 30 {
		if ok, _ := l.Allow("harper"); !ok {
			t.Fatalf("event %d refused within the limit", i+1)
		}
	}
	ok, wait := l.Allow("harper")
	if ok || wait != time.Minute {
		t.Fatalf("31st event: allowed %v, wait %s, want a minute", ok, wait)
	}
	if ok, _ := l.Allow("lee"); !ok {
		t.Fatal("one technician's limit stopped another")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("harper"); !ok {
		t.Fatal("no event allowed a minute after the first ones")
	}
}

// A burst, then one event a second: at most the limit in any minute,
// however the events are spread (a token bucket let 59 through here).
func TestLimiterHoldsInEveryWindow(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	now := start
	l := New(30, func() time.Time { return now })
	var allowed []time.Time
	for range 32 {
		if ok, _ := l.Allow("harper"); ok {
			allowed = append(allowed, now)
		}
	}
	for s := 1; s <= 150; s++ {
		now = start.Add(time.Duration(s) * time.Second)
		if ok, _ := l.Allow("harper"); ok {
			allowed = append(allowed, now)
		}
	}
	for i, from := range allowed {
		n := 0
		for _, at := range allowed[i:] {
			if at.Sub(from) < time.Minute {
				n++
			}
		}
		if n > 30 {
			t.Fatalf("%d events allowed in the minute from %s", n, from.Sub(start))
		}
	}
	if len(allowed) != 30+30+30 {
		t.Fatalf("%d events allowed in 150 s, want 30 at once and 30 in each later minute", len(allowed))
	}
}

func TestLimiterForgetsIdleKeysPastItsBound(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	l := New(1, func() time.Time { return now })
	for i := range maxKeys {
		l.Allow(fmt.Sprint(i))
	}
	now = now.Add(2 * time.Minute)
	l.Allow("new")
	if n := len(l.events); n != 1 {
		t.Fatalf("%d keys kept, want only the new one", n)
	}
}
