package web

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// send takes a write slot and calls Graph. Usually that gives the final
// outcome at once. When the attempt must wait (write budget) or Graph
// throttles (429), the answer is the attempt's status, which refreshes
// itself, while this instance goes on in the background within MAX_WAIT.
func (h *assistanceHandler) send(c echo.Context, attempt audit.Attempt, token string, route graph.Route) error {
	r := &sending{attempt: attempt, token: token, route: route, started: time.Now()}
	note := func(err error) { noteError(c, err) }
	// A technician who leaves the page must not cut the call off midway:
	// the action is not idempotent, and a call cut off has an unknown
	// outcome. The Graph client's own timeout bounds it.
	ctx := context.WithoutCancel(c.Request().Context())
	wait, state, err := h.try(ctx, note, r)
	if err != nil {
		h.complete(note, attempt, audit.Completion{Outcome: audit.Failed, Duration: time.Since(r.started)})
		return err
	}
	if state == "" {
		done := h.finish(note, r)
		var ge *graph.Error
		if errors.As(r.err, &ge) && ge.ClaimsChallenge {
			// The action did not run; only a new sign-in can satisfy this.
			return signInAgainWith(c, ge.Claims)
		}
		return h.answer(c, attempt.DeviceID, "", done.status, components.Request(done.props(attempt.TechnicianKey, h.now())))
	}
	deadline := attempt.CreatedAt.Add(h.maxWait)
	if h.now().Add(wait).After(deadline) {
		done := h.giveUp(note, r, state, wait)
		return h.answer(c, attempt.DeviceID, "", done.status, components.Request(done.props(attempt.TechnicianKey, h.now())))
	}
	retryAt := h.now().Add(wait)
	if err := h.trail.SetProgress(ctx, attempt.ID, state, retryAt); err != nil {
		note(err)
	}
	// The request's context ends with the response; the attempt must not.
	bg, cancel := context.WithDeadline(ctx, deadline.Add(h.graphTimeout))
	go func() {
		defer cancel()
		h.later(bg, r, wait, state, deadline)
	}()
	waiting := standing{Attempt: attempt, waiting: true, progress: audit.Progress{State: state, RetryAt: retryAt}}
	return h.answer(c, attempt.DeviceID, "", http.StatusAccepted, components.Request(requestProps(waiting, attempt.TechnicianKey, h.now())))
}

// settled is a final attempt with what only the moment of its answer knows.
type settled struct {
	attempt    audit.Attempt
	status     int // the portal's own answer
	retryAfter time.Duration
	graphDate  string
}

func (s settled) props(viewer string, now time.Time) components.RequestProps {
	p := requestProps(standing{Attempt: s.attempt}, viewer, now)
	p.RetryAfter, p.Support.GraphDate = s.retryAfter, s.graphDate
	return p
}

// sending is one attempt on its way to Graph.
type sending struct {
	attempt   audit.Attempt
	token     string
	route     graph.Route
	fallback  bool // sent on route 2 after Graph refused the route asked for
	started   time.Time
	resp      graph.Response
	err       error
	throttled int // 429s so far, for the backoff
}

// try makes one pass: a write slot, then Graph, with one token renewal
// after a 401 and the route-2 fallback after a routing refusal. state is
// "" when the answer is final, else audit.Queued or audit.Retrying with
// how long to wait.
func (h *assistanceHandler) try(ctx context.Context, note func(error), r *sending) (time.Duration, string, error) {
	ok, wait, err := h.budget.Take(ctx, r.attempt.ID)
	if err != nil {
		note(err)
		return 0, "", echo.NewHTTPError(http.StatusServiceUnavailable, i18n.M("assist.budgetUnchecked"))
	}
	if !ok {
		h.metrics.RecordBudgetWait(wait)
		return wait, audit.Queued, nil
	}
	r.resp, r.err = h.graph.RequestRemoteAssistance(ctx, r.token, r.route)
	if graph.IsInvalidToken(r.err) {
		// Graph refused the token itself (revoked, or expired early): the
		// action did not run. One renewal, one resend.
		note(r.err)
		token, err := h.tokens.RenewGraphToken(ctx, r.token)
		if err != nil {
			return 0, "", err
		}
		r.token = token
		r.resp, r.err = h.graph.RequestRemoteAssistance(ctx, r.token, r.route)
	}
	if r.route.Number != 2 && graph.IsRoutingRefusal(r.err) {
		note(r.err)
		r.fallback = true
		r.route = graph.DeviceRoute(r.route.DeviceID)
		r.resp, r.err = h.graph.RequestRemoteAssistance(ctx, r.token, r.route)
	}
	var ge *graph.Error
	if errors.As(r.err, &ge) && ge.Status == http.StatusTooManyRequests {
		r.throttled++
		h.metrics.Retry("POST requestRemoteAssistance", http.StatusTooManyRequests)
		return retryWait(ge.RetryAfter, r.throttled), audit.Retrying, nil
	}
	return 0, "", nil
}

// retryWait honours Graph's Retry-After (or Intune's RetryAfter inside the
// message) and, when Graph gives none, backs off exponentially with jitter
// so that throttled instances do not retry in step.
func retryWait(retryAfter time.Duration, attempt int) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	backoff := time.Second << min(attempt-1, 5)
	return backoff/2 + rand.N(backoff/2+1)
}

// later goes on with a waiting attempt until it is final or out of time.
func (h *assistanceHandler) later(ctx context.Context, r *sending, wait time.Duration, state string, deadline time.Time) {
	// The request is answered: errors can only go to the log.
	note := func(err error) {
		h.logger.Warn("assistance in the background", slog.String("attempt", r.attempt.ID), slog.Any("error", err))
	}
	for {
		select {
		case <-ctx.Done():
			h.giveUp(note, r, state, wait)
			return
		case <-time.After(wait):
		}
		var err error
		wait, state, err = h.try(ctx, note, r)
		switch {
		case err != nil:
			h.complete(note, r.attempt, audit.Completion{Outcome: audit.Failed, Duration: time.Since(r.started)})
		case state == "":
			h.finish(note, r)
		case h.now().Add(wait).After(deadline):
			h.giveUp(note, r, state, wait)
		default:
			if err := h.trail.SetProgress(ctx, r.attempt.ID, state, h.now().Add(wait)); err != nil {
				note(err)
			}
			continue
		}
		h.forget(r.attempt.ID)
		return
	}
}

// giveUp ends an attempt that ran out of MAX_WAIT: refused when it never
// got a write slot, failed with the last 429 when Graph kept throttling.
func (h *assistanceHandler) giveUp(note func(error), r *sending, state string, wait time.Duration) settled {
	defer h.forget(r.attempt.ID)
	if state == audit.Queued {
		h.metrics.RecordBudgetRefusal()
		a := h.complete(note, r.attempt, audit.Completion{Outcome: audit.Refused, RefusedReason: audit.ReasonWriteBudget, Duration: time.Since(r.started)})
		return settled{attempt: a, status: http.StatusTooManyRequests, retryAfter: wait}
	}
	return h.finish(note, r)
}

// forget drops the progress row of a final attempt.
func (h *assistanceHandler) forget(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.trail.ClearProgress(ctx, id)
}

// finish completes the attempt with Graph's answer.
func (h *assistanceHandler) finish(note func(error), r *sending) settled {
	done := audit.Completion{Duration: time.Since(r.started)}
	if r.fallback {
		done.FallbackRoute = 2
	}
	s := settled{status: http.StatusOK}
	var ge *graph.Error
	var te *graph.TransportError
	switch {
	case r.err == nil:
		done.Outcome, done.GraphStatus = audit.Succeeded, r.resp.Status
		done.GraphRequestID, done.ClientRequestID, s.graphDate = r.resp.RequestID, r.resp.ClientRequestID, r.resp.Date
	case errors.As(r.err, &ge):
		s.status = http.StatusBadGateway
		done.Outcome, done.GraphStatus, done.GraphErrorCode = audit.Failed, ge.Status, ge.Code
		done.GraphRequestID, done.ClientRequestID, s.graphDate, s.retryAfter = ge.RequestID, ge.ClientRequestID, ge.Date, ge.RetryAfter
		if ge.Status == http.StatusBadGateway || ge.Status == http.StatusGatewayTimeout {
			// The action is not idempotent: a gateway's error says nothing
			// of whether Intune took it.
			done.Outcome = audit.Unknown
		}
	case errors.As(r.err, &te):
		s.status = http.StatusBadGateway
		done.Outcome, done.ClientRequestID = audit.Unknown, te.ClientRequestID
	default:
		s.status = http.StatusBadGateway
		done.Outcome = audit.Unknown
	}
	if r.err != nil {
		note(r.err)
	}
	s.attempt = h.complete(note, r.attempt, done)
	return s
}
