// Package ratelimit keeps per-key token buckets in memory: N events per
// minute for each technician or client address, refilled smoothly.
package ratelimit

import (
	"sync"
	"time"
)

// maxKeys bounds memory: past it, buckets that have refilled completely
// (and so carry no information) are dropped.
const maxKeys = 10000

// Limiter allows perMinute events per key, with bursts up to perMinute.
type Limiter struct {
	perMinute float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter of perMinute events per key.
func New(perMinute int, now func() time.Time) *Limiter {
	return &Limiter{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one event for key. When the key is over its limit it returns
// false and how long until the next event would be allowed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.pruneLocked(now)
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	return false, wait.Round(time.Second) + time.Second
}

func (l *Limiter) pruneLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
			delete(l.buckets, k)
		}
	}
}
