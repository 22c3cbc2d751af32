package graphsim

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Names of the faults as Request.Fault records them.
const (
	faultLatency    = "latency" // the client gave up during the added latency
	faultEarlyRetry = "early-retry"
	faultThrottle   = "throttle"
	faultFailRate   = "fail-rate"
	faultReadLimit  = "read-limit"
	faultWriteLimit = "write-limit"
	faultDevice     = "device-" // followed by the device fault's kind
)

// retryKey is what makes a request a retry of an earlier one: the same
// client (token oid) asking for the same thing again.
type retryKey struct{ oid, method, path string }

// retryBlock is a Retry-After that a client was given and must honour.
type retryBlock struct {
	until  time.Time
	status int
}

// faultState is the faults a running server injects and what it has seen,
// under one lock because the Set… methods change it while requests run.
type faultState struct {
	now func() time.Time

	mu            sync.Mutex
	rng           *rand.Rand
	latency       time.Duration
	jitter        time.Duration
	failRates     map[string]FailRate
	throttle      Throttling
	readLimit     ReadLimit
	intune        map[string][]time.Time // Intune requests received per app, within the read window
	maxIntune     int
	readLimited   int
	writeLimit    WriteLimit
	writes        map[string][]time.Time // accepted writes per app, within the window
	sent          []time.Time            // writes received, within the window
	maxSent       int
	blocked       map[retryKey]retryBlock
	early         int
	refuse        map[int]bool
	devices       map[string]DeviceFault // by lower-case device id
	sessionDelay  time.Duration
	partnerStatus string
}

func newFaultState(f Faults, refuse map[int]bool, now func() time.Time) *faultState {
	seed := uint64(f.Seed)
	if seed == 0 {
		seed = rand.Uint64()
	}
	st := &faultState{
		now:           now,
		rng:           rand.New(rand.NewPCG(seed, seed)),
		latency:       f.Latency,
		jitter:        f.Jitter,
		failRates:     map[string]FailRate{},
		throttle:      f.Throttle,
		readLimit:     f.ReadLimit,
		intune:        map[string][]time.Time{},
		writeLimit:    f.WriteLimit,
		writes:        map[string][]time.Time{},
		blocked:       map[retryKey]retryBlock{},
		refuse:        refuse,
		devices:       map[string]DeviceFault{},
		sessionDelay:  f.SessionDelay,
		partnerStatus: f.PartnerStatus,
	}
	for _, r := range f.FailRates {
		st.failRates[r.Method] = r
	}
	for id, df := range f.Devices {
		st.devices[strings.ToLower(id)] = df
	}
	if st.sessionDelay == 0 {
		st.sessionDelay = defaultSessionDelay
	}
	if st.partnerStatus == "" {
		st.partnerStatus = "onboarded"
	}
	return st
}

// sleep waits d unless ctx ends first, so that a client that gives up does
// not leave a goroutine sleeping; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// delay applies the latency; false means the client gave up meanwhile.
func (st *faultState) delay(ctx context.Context) bool {
	st.mu.Lock()
	d := st.latency
	if st.jitter > 0 {
		d += time.Duration(st.rng.Int64N(int64(st.jitter)))
	}
	st.mu.Unlock()
	if d == 0 {
		return true
	}
	return sleep(ctx, d)
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func (st *faultState) window() time.Duration {
	if st.writeLimit.Window > 0 {
		return st.writeLimit.Window
	}
	return defaultWriteWindow
}

// readWindow is the read limit's window, Intune's 20 s when there is none.
func (st *faultState) readWindow() time.Duration {
	if st.readLimit.Window > 0 {
		return st.readLimit.Window
	}
	return defaultReadWindow
}

// noteIntune counts a request of app as it reaches Intune, whatever its
// answer, and returns that app's Intune requests within the read window,
// this one last. st.mu must be held. Only the window is kept, so memory
// stays bounded by what an app sends in one window.
func (st *faultState) noteIntune(app string, now time.Time) []time.Time {
	received := append(pruned(st.intune[app], now.Add(-st.readWindow())), now)
	st.intune[app] = received
	st.maxIntune = max(st.maxIntune, len(received))
	return received
}

// noteWrite counts a write as it arrives, whatever its answer: throttled
// calls count against Graph's limits too, so "sent" is what a client must
// keep within its budget.
func (st *faultState) noteWrite() {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.sent = append(pruned(st.sent, now.Add(-st.window())), now)
	st.maxSent = max(st.maxSent, len(st.sent))
}

// pruned drops the times at or before cutoff; times are in order.
func pruned(times []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	return times[i:]
}

func (st *faultState) refused(route int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.refuse[route]
}

func (st *faultState) deviceFault(id string) DeviceFault {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.devices[strings.ToLower(id)]
}
