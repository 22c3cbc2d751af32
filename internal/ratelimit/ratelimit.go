// Package ratelimit counts events per key in memory: at most N in any
// minute, for each technician or client address, on this instance.
package ratelimit

import (
	"sync"
	"time"
)

// maxKeys bounds memory: past it, keys with no event in the last minute
// (and so carrying no information) are dropped.
const maxKeys = 10000

// window is the span the limit counts over.
const window = time.Minute

// Limiter allows at most perMinute events per key in any window of a
// minute: a sliding log of each key's recent events, not a token bucket,
// which lets a burst and then a steady trickle go over the count.
type Limiter struct {
	perMinute int
	now       func() time.Time

	mu     sync.Mutex
	events map[string][]time.Time // each key's allowed events in the last minute, oldest first
}

// New returns a limiter of perMinute events per key.
func New(perMinute int, now func() time.Time) *Limiter {
	return &Limiter{perMinute: perMinute, now: now, events: map[string][]time.Time{}}
}

// Allow takes one event for key. When the key is over its limit it returns
// false and how long until the next event would be allowed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	events, ok := l.events[key]
	if !ok && len(l.events) >= maxKeys {
		l.pruneLocked(now)
	}
	events = recent(events, now)
	if len(events) >= l.perMinute {
		l.events[key] = events
		wait := events[0].Add(window).Sub(now)
		return false, (wait + time.Second - 1).Truncate(time.Second) // whole seconds, never early
	}
	l.events[key] = append(events, now)
	return true, 0
}

// recent drops the events that are a minute old or older.
func recent(events []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(events) && !events[i].After(now.Add(-window)) {
		i++
	}
	return events[i:]
}

func (l *Limiter) pruneLocked(now time.Time) {
	for k, events := range l.events {
		if len(recent(events, now)) == 0 {
			delete(l.events, k)
		}
	}
}
