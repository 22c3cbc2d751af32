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
	if ok || wait < time.Second || wait > 3*time.Second {
		t.Fatalf("31st event: allowed %v, wait %s", ok, wait)
	}
	if ok, _ := l.Allow("lee"); !ok {
		t.Fatal("one technician's limit stopped another")
	}
	now = now.Add(2 * time.Second)
	if ok, _ := l.Allow("harper"); !ok {
		t.Fatal("no event allowed after the bucket refilled one")
	}
	if ok, _ := l.Allow("harper"); ok {
		t.Fatal("two events allowed after one refilled")
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
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets kept, want only the new one", n)
	}
}
