package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/ratelimit"
	"github.com/assistdesk/assistdesk/views/components"
)

// duplicateWindow is how long a device is guarded after a request: a
// second request within it, by anyone, needs an explicit "Request again".
const duplicateWindow = 60 * time.Second

// assister sends requestRemoteAssistance to Graph.
type assister interface {
	RequestRemoteAssistance(ctx context.Context, token string, r graph.Route) (graph.Response, error)
}

// attemptLog is the audit trail as the assistance handler writes it.
type attemptLog interface {
	Begin(ctx context.Context, a audit.Attempt, window time.Duration, confirming string) (audit.Attempt, error)
	Refuse(ctx context.Context, a audit.Attempt, reason string) (audit.Attempt, error)
	Complete(ctx context.Context, id string, c audit.Completion) error
	SetProgress(ctx context.Context, id, state string, retryAt time.Time) error
	ClearProgress(ctx context.Context, id string) error
}

// runReader reads a script run, to learn its device.
type runReader interface {
	RunState(ctx context.Context, token, scriptID, runStateID string) (graph.RunState, error)
}

// renewableTokens hand out the technician's Graph token and renew one that
// Graph refused.
type renewableTokens interface {
	GraphToken(ctx context.Context) (string, error)
	RenewGraphToken(ctx context.Context, refused string) (string, error)
}

// writeBudget hands out Graph write slots shared by every instance.
type writeBudget interface {
	Take(ctx context.Context, attemptID string) (bool, time.Duration, error)
}

type assistanceHandler struct {
	logger  *slog.Logger
	metrics *Metrics
	budget  writeBudget
	// maxWait bounds how long an attempt waits for budget or retries;
	// graphTimeout is how long its last Graph call may take after that.
	maxWait, graphTimeout time.Duration
	graph                 assister
	runs                  runReader
	tokens                renewableTokens
	trail                 attemptLog
	now                   func() time.Time
	limit                 *ratelimit.Limiter
	clientIP              func(c echo.Context) string
}

// viaUser is route 1, from a user's page.
func (h *assistanceHandler) viaUser(c echo.Context) error {
	const problem = "The user or device id in this request is not valid; nothing was sent to Intune."
	userID, err := idParam(c, "userId", graph.IsUserRef, problem)
	if err != nil {
		return err
	}
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, problem)
	if err != nil {
		return err
	}
	return h.request(c, graph.UserDeviceRoute(userID, deviceID))
}

// viaDevice is route 2, from a device's page.
func (h *assistanceHandler) viaDevice(c echo.Context) error {
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, "The device id in this request is not valid; nothing was sent to Intune.")
	if err != nil {
		return err
	}
	return h.request(c, graph.DeviceRoute(deviceID))
}

// viaScriptRun is route 3, from a script's failed run. The run's device is
// read first: the audit trail names it, and a route-2 fallback needs it.
func (h *assistanceHandler) viaScriptRun(c echo.Context) error {
	_, scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	run, err := h.runs.RunState(ctx, token, scriptID, runStateID)
	if err != nil {
		return readFailure(c, err, "read the script run's device; nothing was sent to Intune")
	}
	if run.ManagedDevice == nil || !graph.IsGUID(run.ManagedDevice.ID) {
		return echo.NewHTTPError(http.StatusConflict, "Intune reports no device for this script run, so there is nobody to assist.")
	}
	return h.request(c, graph.ScriptRunRoute(scriptID, runStateID, run.ManagedDevice.ID))
}

// viaAppDevice is route 4, from the devices that share an app with a
// script run's device.
func (h *assistanceHandler) viaAppDevice(c echo.Context) error {
	_, scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	const problem = "The app or device id in this request is not valid; nothing was sent to Intune."
	appID, err := idParam(c, "appId", graph.IsDetectedAppID, problem)
	if err != nil {
		return err
	}
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, problem)
	if err != nil {
		return err
	}
	return h.request(c, graph.AppDeviceRoute(scriptID, runStateID, appID, deviceID))
}

// request records the attempt, sends the action and renders the outcome in
// place. Nothing reaches Graph unless the pending row was written first.
func (h *assistanceHandler) request(c echo.Context, route graph.Route) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	attempt := h.newAttempt(c, route, ticket)
	if ok, wait := h.limit.Allow(attempt.TechnicianKey); !ok {
		if _, err := h.trail.Refuse(ctx, attempt, audit.ReasonRateLimit); err != nil {
			noteError(c, err)
		}
		h.metrics.RecordAttempt(attempt.Route, string(audit.Refused))
		return tooMany(c, wait, "assistance requests from you in the last minute")
	}
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	attempt, err = h.trail.Begin(ctx, attempt, duplicateWindow, c.FormValue("again"))
	var dup *audit.DuplicateError
	switch {
	case errors.As(err, &dup):
		h.metrics.RecordAttempt(attempt.Route, string(audit.Refused))
		return render(c, http.StatusConflict, components.Duplicate(duplicateProps(dup.Earlier, attempt.ID, c.Request().URL.RequestURI(), attempt.DeviceName, h.now())))
	case err != nil:
		noteError(c, err)
		return echo.NewHTTPError(http.StatusServiceUnavailable,
			"The request could not be recorded in the audit trail, so nothing was sent to Intune. Try again in a moment.")
	}
	return h.send(c, attempt, token, route)
}

// complete writes the outcome. It must not be lost to the technician's
// browser going away, so it does not use the request's context.
func (h *assistanceHandler) complete(note func(error), attempt audit.Attempt, done audit.Completion) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.trail.Complete(ctx, attempt.ID, done); err != nil {
		note(err)
	}
	h.metrics.RecordAttempt(attempt.Route, string(done.Outcome))
}

// newAttempt describes the request for the audit trail.
func (h *assistanceHandler) newAttempt(c echo.Context, route graph.Route, ticket string) audit.Attempt {
	t := technicianOf(c)
	return audit.Attempt{
		TechnicianOID:  t.ObjectID,
		TechnicianTID:  t.TenantID,
		TechnicianUPN:  t.Username,
		TechnicianName: t.DisplayName(),
		TechnicianKey:  t.Key(),
		TargetUser:     route.UserID,
		DeviceID:       route.DeviceID,
		DeviceName:     shownDeviceName(c.FormValue("device_name")),
		Route:          route.Number,
		Ticket:         ticket,
		ClientIP:       h.clientIP(c),
		UserAgent:      truncateRunes(c.Request().UserAgent(), 256),
	}
}

// shownDeviceName is the device name as the page showed it, sent back with
// the request: a label for the audit trail, never used to address Graph.
func shownDeviceName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return truncateRunes(strings.TrimSpace(s), 256)
}

func truncateRunes(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// outcomeUnknown: the action is not idempotent, and without an answer
// nobody knows whether Intune took it.
const outcomeUnknown = "Outcome unknown: Intune may or may not have queued the request. Check the device's actions in Intune " +
	"(or wait 60 s and look at this device again) before retrying."
