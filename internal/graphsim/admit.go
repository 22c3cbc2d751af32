package graphsim

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"time"
)

// errNoAnswer tells serve that the request gets no answer at all: the
// client gave up while a fault held it.
var errNoAnswer = &apiError{}

// maxRetryBlocks bounds the Retry-After deadlines kept before the passed
// ones are swept, so a long demo under a fail rate does not grow forever.
const maxRetryBlocks = 1000

// writeSlot is a write counted against the write limit before it is
// served, so that concurrent writes cannot overtake the limit; it is given
// back unless the write succeeds.
type writeSlot struct {
	app string
	at  time.Time
}

// admit decides whether an injected fault answers the request instead of
// the route, in the order a client meets them: its own early retry, a
// throttle, an outage, the read limit, the write limit. It runs after the
// token and the route are known, because a retry is recognised by the
// token's oid, Intune's limits are per app (the token's) and Intune's
// answers differ from the directory's.
func (c *call) admit() *apiError {
	st := c.s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	key := retryKey{c.token.oid, c.r.Method, c.r.URL.EscapedPath()}
	// Every request that reaches Intune counts against its read limit,
	// whatever answers it below, so it is counted before anything can.
	var received []time.Time
	if c.intune() {
		received = st.noteIntune(c.token.app, now)
	}
	if b, ok := st.blocked[key]; ok {
		if now.Before(b.until) {
			st.early++
			c.fault = faultEarlyRetry
			c.w.Header().Set("Retry-After", formatSeconds(b.until.Sub(now)))
			return c.faultError(b.status, retrySeconds(b.until.Sub(now)))
		}
		delete(st.blocked, key)
	}
	if t := &st.throttle; t.Requests > 0 && (t.Method == "" || t.Method == c.r.Method) {
		t.Requests--
		c.fault = faultThrottle
		return st.answer(c, key, now, http.StatusTooManyRequests, t.RetryAfter)
	}
	if r, ok := st.failRates[c.r.Method]; ok && st.rng.Float64() < r.Rate {
		c.fault = faultFailRate
		status, retry := r.Status, time.Duration(0)
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			retry = cmp.Or(r.RetryAfter, defaultFailRetryAfter)
		}
		return st.answer(c, key, now, status, retry)
	}
	// A request refused here has been counted, so the window has room
	// again only once enough requests have left it that a retry would be
	// within the limit, this refused one included: Retry-After says when,
	// so that a client that waits what it is told is not refused again
	// (unless others send meanwhile). It returns before the write limit,
	// so a refused write takes no write slot.
	if n := st.readLimit.Requests; n > 0 && len(received) > n {
		st.readLimited++
		c.fault = faultReadLimit
		return st.answer(c, key, now, http.StatusTooManyRequests, received[len(received)-n].Add(st.readWindow()).Sub(now))
	}
	if st.writeLimit.Writes > 0 && isWrite(c.r.Method) {
		window := st.window()
		accepted := pruned(st.writes[c.token.app], now.Add(-window))
		st.writes[c.token.app] = accepted
		if len(accepted) >= st.writeLimit.Writes {
			c.fault = faultWriteLimit
			return st.answer(c, key, now, http.StatusTooManyRequests, accepted[0].Add(window).Sub(now))
		}
		st.writes[c.token.app] = append(accepted, now)
		c.writeSlot = &writeSlot{app: c.token.app, at: now}
	}
	return nil
}

// answer is a fault's error with its Retry-After, if any, which the client
// must then honour for this request: until it has passed, the same request
// from the same client is answered the same way and counted as early.
func (st *faultState) answer(c *call, key retryKey, now time.Time, status int, retryAfter time.Duration) *apiError {
	secs := 0
	if retryAfter > 0 {
		secs = max(1, retrySeconds(retryAfter))
		c.w.Header().Set("Retry-After", formatSeconds(time.Duration(secs)*time.Second))
		st.blocked[key] = retryBlock{until: now.Add(time.Duration(secs) * time.Second), status: status}
		if len(st.blocked) > maxRetryBlocks {
			maps.DeleteFunc(st.blocked, func(_ retryKey, b retryBlock) bool { return !now.Before(b.until) })
		}
	}
	return c.faultError(status, secs)
}

// release gives back a write slot whose write did not succeed: the limit
// counts successful writes only.
func (st *faultState) release(slot *writeSlot) {
	st.mu.Lock()
	defer st.mu.Unlock()
	w := st.writes[slot.app]
	if i := slices.Index(w, slot.at); i >= 0 {
		st.writes[slot.app] = slices.Delete(w, i, i+1)
	}
}

// faultError is the body Graph's services send for a status that a fault
// injects. Intune wraps its errors as a JSON document in message, with
// RetryAfter inside it as well as in the header; the directory and Graph's
// gateway answer in plain words.
func (c *call) faultError(status, retryAfter int) *apiError {
	intune := c.intune()
	switch {
	case status == http.StatusTooManyRequests && intune:
		return &apiError{status, "TooManyRequests", c.intuneMessage("An error has occurred", retryAfter)}
	case status == http.StatusTooManyRequests:
		return &apiError{status, "TooManyRequests", "Too many requests."}
	case (status == http.StatusInternalServerError || status == http.StatusServiceUnavailable) && intune:
		return &apiError{status, "UnknownError", c.intuneMessage("An internal server error has occurred", retryAfter)}
	case status == http.StatusInternalServerError:
		return &apiError{status, "generalException", "An unspecified error has occurred."}
	case status == http.StatusBadGateway:
		return &apiError{status, "BadGateway", "The server, acting as a gateway, received an invalid response from the service."}
	case status == http.StatusServiceUnavailable:
		return &apiError{status, "serviceNotAvailable", "The service is temporarily unavailable. You may repeat the request after the delay in the Retry-After header."}
	default:
		return &apiError{status, "GatewayTimeout", "The gateway did not receive a timely response from the service."}
	}
}

// intune reports whether the matched route is served by Intune rather
// than the directory.
func (c *call) intune() bool {
	p := c.route.pattern
	return p[0] == "deviceManagement" || len(p) > 2 && p[2] == "managedDevices"
}
