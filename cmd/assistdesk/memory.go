package main

import (
	"context"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// The portal's soft memory limit (see tuneGC) makes room for the requests
// in flight. At rest 40 MiB keeps an instance with 1,000 signed-in
// technicians under 64 MB. But each request in flight holds its goroutine's
// stack, its buffers and those of its Graph connections, and when Graph is
// slow a hundred pages may wait at once: under a fixed 40 MiB the heap was
// then held to about 16 MB and the collector ran sixty times a second, half
// the CPU (make bench with 128 technicians reading fresh pages: 638 µs a
// page).
const (
	restingLimit = 40 << 20
	// roomPerRequest is what a request in flight adds to the limit. With
	// 128 in flight 256 KiB brought a page to 361 µs; 512 KiB to 314 µs,
	// but then the memory the load left behind put 1,000 sessions read
	// right after it at 62 MB rather than 60.
	roomPerRequest = 256 << 10
	// maxRoom bounds the growth (to 296 MiB): past it requests in flight
	// make the collector work rather than the process grow.
	maxRoom = 1024
	// roomTick is how often the limit follows the load. The room shrinks
	// by a quarter a tick, so that it outlasts a pause between bursts but
	// is back at rest within about four seconds of the last.
	roomTick = 250 * time.Millisecond
)

// memoryRoom counts the portal's requests in flight and sets the soft
// memory limit to restingLimit plus room for as many as were in flight
// lately.
type memoryRoom struct {
	inFlight, peak atomic.Int64
	room           int64 // requests the limit makes room for; follow's own
}

// portalMemory is the room tuneGC made for `serve` and `demo`; nil when
// the environment sets GOMEMLIMIT, or in a test calling run.
var portalMemory *memoryRoom

// count wraps the portal's handler to count its requests in flight. A nil
// room counts nothing.
func (m *memoryRoom) count(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.raisePeak(m.inFlight.Add(1))
		defer m.inFlight.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// raisePeak makes n the tick's peak unless it already is higher.
func (m *memoryRoom) raisePeak(n int64) {
	for p := m.peak.Load(); n > p; p = m.peak.Load() {
		if m.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// follow sets the limit every roomTick until ctx ends, then leaves it at
// rest. A nil room does nothing.
func (m *memoryRoom) follow(ctx context.Context) {
	if m == nil {
		return
	}
	defer debug.SetMemoryLimit(restingLimit)
	every(ctx, roomTick, func() {
		if limit, changed := m.next(m.peak.Swap(m.inFlight.Load())); changed {
			debug.SetMemoryLimit(limit)
		}
	})
}

// next takes the most requests in flight during the last tick and returns
// the limit, and whether it differs from the last one.
func (m *memoryRoom) next(peak int64) (int64, bool) {
	room := min(max(peak, m.room-(m.room+3)/4), maxRoom)
	if room == m.room {
		return 0, false
	}
	m.room = room
	return restingLimit + room*roomPerRequest, true
}
