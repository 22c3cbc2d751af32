package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/ratelimit"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
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
	ProgressOf(ctx context.Context, id string) (audit.Progress, int, bool, error)
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
	// facts signs and checks the device facts request forms carry.
	facts factsKey
	// reads forget a device once assistance is requested on it.
	reads cachedGraph
}

// viaUser is route 1, from a user's page.
func (h *assistanceHandler) viaUser(c echo.Context) error {
	problem := i18n.M("params.badUserOrDevice")
	userID, err := idParam(c, "userId", graph.IsUserRef, problem)
	if err != nil {
		return err
	}
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, problem)
	if err != nil {
		return err
	}
	facts, err := h.facts.read(c, deviceID)
	if err != nil {
		return err
	}
	return h.request(c, graph.UserDeviceRoute(userID, deviceID), facts, true)
}

// viaDevice is route 2, from a device's page.
func (h *assistanceHandler) viaDevice(c echo.Context) error {
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, i18n.M("params.badDevice"))
	if err != nil {
		return err
	}
	facts, err := h.facts.read(c, deviceID)
	if err != nil {
		return err
	}
	return h.request(c, graph.DeviceRoute(deviceID), facts, true)
}

// viaScriptRun is route 3, from a script's failed run. The run's device is
// read first: it names the device and its user for the audit trail, and a
// route-2 fallback needs its id.
func (h *assistanceHandler) viaScriptRun(c echo.Context) error {
	scriptID, runStateID, err := runParams(c)
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
		return readFailure(c, err, "read.runDevice")
	}
	if run.ManagedDevice == nil || !graph.IsGUID(run.ManagedDevice.ID) {
		return echo.NewHTTPError(http.StatusConflict, i18n.M("assist.runWithoutDevice"))
	}
	facts := factsOf(*run.ManagedDevice, graph.User{})
	return h.request(c, graph.ScriptRunRoute(scriptID, runStateID, facts.DeviceID), facts, false)
}

// viaAppDevice is route 4, from the devices that share an app with a
// script run's device.
func (h *assistanceHandler) viaAppDevice(c echo.Context) error {
	scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	problem := i18n.M("params.badAppOrDevice")
	appID, err := idParam(c, "appId", graph.IsDetectedAppID, problem)
	if err != nil {
		return err
	}
	deviceID, err := idParam(c, "deviceId", graph.IsGUID, problem)
	if err != nil {
		return err
	}
	facts, err := h.facts.read(c, deviceID)
	if err != nil {
		return err
	}
	return h.request(c, graph.AppDeviceRoute(scriptID, runStateID, appID, deviceID), facts, true)
}

// request records the attempt, sends the action and answers with where it
// stands. Nothing reaches Graph unless the pending row was written first.
// signed says the facts came with the form (route 3 reads them from Graph).
func (h *assistanceHandler) request(c echo.Context, route graph.Route, facts deviceFacts, signed bool) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	again, err := againParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	attempt := h.newAttempt(c, route, ticket, facts)
	if ok, wait := h.limit.Allow(attempt.TechnicianKey); !ok {
		if _, err := h.trail.Refuse(ctx, attempt, audit.ReasonRateLimit); err != nil {
			noteError(c, err)
		}
		h.metrics.RecordAttempt(attempt.Route, string(audit.Refused))
		return tooMany(c, wait, "limit.assistance")
	}
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	begun, err := h.trail.Begin(ctx, attempt, duplicateWindow, again)
	var dup *audit.DuplicateError
	switch {
	case errors.As(err, &dup):
		h.metrics.RecordAttempt(attempt.Route, string(audit.Refused))
		earlier := standing{Attempt: dup.Earlier}
		if earlier.Outcome == audit.Pending {
			if earlier.progress, earlier.position, earlier.waiting, err = h.trail.ProgressOf(ctx, earlier.ID); err != nil {
				noteError(c, err)
			}
		}
		return h.answer(c, attempt.DeviceID, begun.ID, http.StatusConflict, components.Duplicate(components.DuplicateProps{
			Earlier:    requestProps(earlier, attempt.TechnicianKey, h.now()),
			DeviceID:   attempt.DeviceID,
			DeviceName: orDash(attempt.DeviceName),
			RefusalID:  begun.ID, // the refusal Begin recorded
			PostURL:    c.Request().URL.RequestURI(),
			Fields:     formFields(h.facts, facts, signed, pageFields(c, c.FormValue("return_to"))),
		}))
	case err != nil:
		noteError(c, err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, i18n.M("assist.notRecorded"))
	}
	h.reads.forgetDevice(begun.DeviceID)
	return h.send(c, begun, token, route)
}

// answer shows where a request stands: in place for htmx; without
// JavaScript, back on the page, which shows every device's latest request.
func (h *assistanceHandler) answer(c echo.Context, deviceID, refusal string, status int, where templ.Component) error {
	if c.Request().Header.Get("HX-Request") != "true" {
		return c.Redirect(http.StatusSeeOther, backTo(c.FormValue("return_to"), deviceID, refusal))
	}
	return render(c, status, where)
}

// backTo is where a request sent without JavaScript returns: the page it
// came from, at the device's card, which shows the request as the audit
// trail has it. A request not sent again names its refusal (?refused=),
// so that the page offers to request again.
func backTo(returnTo, deviceID, refusal string) string {
	u, err := url.Parse(auth.SafeReturnTo(returnTo))
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Del("refused")
	if refusal != "" {
		q.Set("refused", refusal)
	}
	u.RawQuery, u.Fragment = q.Encode(), "assist-"+deviceID
	return u.String()
}

// formFields are the hidden fields of a request form: the device's facts,
// signed (unless the request reads them from Graph itself), then the
// fields every form of the page shares (pageFields).
func formFields(key factsKey, facts deviceFacts, signed bool, page []components.Field) []components.Field {
	var fields []components.Field
	if signed {
		fields = key.fields(facts)
	}
	return append(fields, page...)
}

// pageFields are the hidden fields every request form of a page shares:
// the anti-forgery token, and the page to return to without JavaScript.
func pageFields(c echo.Context, returnTo string) []components.Field {
	csrf, _ := c.Get(csrfKey).(string)
	return []components.Field{{Name: "csrf_token", Value: csrf}, {Name: "return_to", Value: auth.SafeReturnTo(returnTo)}}
}

// complete writes the outcome. It must not be lost to the technician's
// browser going away, so it does not use the request's context.
func (h *assistanceHandler) complete(note func(error), attempt audit.Attempt, done audit.Completion) audit.Attempt {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.trail.Complete(ctx, attempt.ID, done); err != nil {
		note(err)
	}
	h.metrics.RecordAttempt(attempt.Route, string(done.Outcome))
	return attempt.Completed(done, h.now())
}

// newAttempt describes the request for the audit trail.
func (h *assistanceHandler) newAttempt(c echo.Context, route graph.Route, ticket string, facts deviceFacts) audit.Attempt {
	t := technicianOf(c)
	return audit.Attempt{
		TechnicianOID:  t.ObjectID,
		TechnicianTID:  t.TenantID,
		TechnicianUPN:  t.Username,
		TechnicianName: t.DisplayName(),
		TechnicianKey:  t.Key(),
		TargetUser:     route.UserID,
		UserName:       facts.UserName,
		UserUPN:        facts.UserUPN,
		DeviceID:       route.DeviceID,
		DeviceName:     facts.Name,
		DeviceOS:       facts.OS,
		Route:          route.Number,
		Ticket:         ticket,
		ClientIP:       h.clientIP(c),
		UserAgent:      truncateRunes(c.Request().UserAgent(), 256),
	}
}

// truncateRunes is s cut to n characters, bytes that are not UTF-8 shown
// as U+FFFD: dropping them could leave nothing to show of a bad value.
func truncateRunes(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
