package graphsim

import (
	"cmp"
	"errors"
	"time"
)

// The methods below change the faults of a running simulator; each takes
// effect for the requests that arrive after it returns.

// SetLatency sets the delay added before every answer, plus a random extra
// of up to jitter.
func (s *Server) SetLatency(latency, jitter time.Duration) error {
	if latency < 0 || jitter < 0 {
		return errors.New("graphsim: latency and jitter must not be negative")
	}
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	st.latency, st.jitter = latency, jitter
	return nil
}

// SetFailRate fails a share of r.Method's requests, replacing that
// method's earlier rule; a Rate of 0 removes it.
func (s *Server) SetFailRate(r FailRate) error {
	if err := r.validate(); err != nil {
		return err
	}
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.Rate == 0 {
		delete(st.failRates, r.Method)
		return nil
	}
	st.failRates[r.Method] = r
	return nil
}

// Throttle answers the next n requests with 429 and, unless retryAfter is
// 0, a Retry-After header of retryAfter rounded up to seconds. It replaces
// any throttle still pending; n = 0 ends it.
func (s *Server) Throttle(n int, retryAfter time.Duration) error {
	return s.ThrottleMethod("", n, retryAfter)
}

// ThrottleMethod is Throttle for the requests of one HTTP method only.
func (s *Server) ThrottleMethod(method string, n int, retryAfter time.Duration) error {
	t := Throttling{Method: method, Requests: n, RetryAfter: retryAfter}
	if err := t.validate(); err != nil {
		return err
	}
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	st.throttle = t
	return nil
}

// EarlyRetries counts the requests that repeated a request (same token
// oid, method and path) answered with a Retry-After before it had passed.
// Each was answered as the first was, with what remained to wait.
func (s *Server) EarlyRetries() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.early
}

// SetReadLimit limits the requests of any method to Intune's devices
// service (the routes under /deviceManagement and /users/{id}/managedDevices;
// not the directory's) per app, as Intune does, to requests per window
// (20 s when 0); requests = 0 lifts the limit. Every request that reaches
// Intune counts, refused ones too; those past the limit get 429 with the
// seconds until a retry would be within it. A new window restarts
// IntuneRequestsInWindow.
func (s *Server) SetReadLimit(requests int, window time.Duration) error {
	l := ReadLimit{Requests: requests, Window: window}
	if err := l.validate(); err != nil {
		return err
	}
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.readWindow() != cmp.Or(window, defaultReadWindow) {
		st.maxIntune = 0
	}
	st.readLimit = l
	return nil
}

// IntuneRequestsInWindow is the most requests one app sent to Intune's
// devices service within any one window (the read limit's, 20 s when there
// is none) since the start, whatever their answer: what to compare with
// Intune's limit on any request, 2,000 per 20 s. Requests refused before
// they reach Intune (no valid token, no such route, a bad query) do not
// count, nor do the directory's.
func (s *Server) IntuneRequestsInWindow() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.maxIntune
}

// ReadLimited counts the requests answered 429 by the read limit since the
// start; a client's early retries of them are EarlyRetries instead.
func (s *Server) ReadLimited() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.readLimited
}

// SetWriteLimit limits successful writes (POST, PUT, PATCH, DELETE) per
// app, as Intune does, to writes per window (20 s when 0); writes = 0
// lifts the limit. Writes past it get 429 with the seconds until the window
// frees a slot. A new window restarts WritesInWindow.
func (s *Server) SetWriteLimit(writes int, window time.Duration) error {
	l := WriteLimit{Writes: writes, Window: window}
	if err := l.validate(); err != nil {
		return err
	}
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.window() != cmp.Or(window, defaultWriteWindow) {
		st.sent, st.maxSent = nil, 0
	}
	st.writeLimit = l
	return nil
}

// WritesInWindow is the most writes received within any one window (the
// write limit's, 20 s when there is none) since the start, whatever their
// answer: what a client sent to Graph, to compare with its write budget.
func (s *Server) WritesInWindow() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.maxSent
}

// SetRefuseRoutes replaces the requestRemoteAssistance routes (1, 3, 4)
// refused with Graph's routing error; none refuses nothing.
func (s *Server) SetRefuseRoutes(routes ...int) error {
	refuse, err := refuseSet(routes)
	if err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.refuse = refuse
	return nil
}
