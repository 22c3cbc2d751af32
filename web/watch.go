package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readbudget"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/pages"
)

// attemptReader reads attempts and their progress, from whichever instance
// wrote them, and records what the device showed after a 204.
type attemptReader interface {
	Get(ctx context.Context, id string) (audit.Attempt, error)
	ProgressOf(ctx context.Context, id string) (audit.Progress, int, bool, error)
	SetSession(ctx context.Context, id string, s audit.Session) (bool, error)
}

// assistanceReader reads what followed a request on the device.
type assistanceReader interface {
	DeviceAssistance(ctx context.Context, token, deviceID string) (graph.AssistanceState, error)
}

type watchHandler struct {
	trail  attemptReader
	graph  assistanceReader
	tokens graphTokens
	now    func() time.Time
}

// status is GET /assistance/{attemptId}: where one request stands, a
// fragment that asks again while there is something to wait for, or for a
// browser without JavaScript a page with a link to look again. After a
// 204 it reads the device for two minutes (or once, with ?check=1).
func (h *watchHandler) status(c echo.Context) error {
	id, err := idParam(c, "attemptId", graph.IsGUID, i18n.M("params.badAttempt"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Any technician may follow any request: a device's page shows its
	// latest request whoever made it, and a second technician's click
	// follows the first one's. Ids are random, not to be guessed, and what
	// the device shows is read with the viewer's own token.
	a, err := h.trail.Get(ctx, id)
	if errors.Is(err, audit.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, i18n.M("watch.notFound"))
	}
	if err != nil {
		return err
	}
	s, err := h.stand(c, a, c.QueryParam("check") != "")
	if err != nil {
		return err
	}
	p := requestProps(s, technicianOf(c).Key(), h.now())
	if isFragment(c) {
		return render(c, http.StatusOK, components.Request(p))
	}
	name := firstOf(a.DeviceName, a.DeviceID)
	return render(c, http.StatusOK, pages.Attempt(pages.AttemptPage{Page: pageFor(c, i18n.M("attempt.title", name)),
		DeviceName: name, DeviceURL: withTicket(devicePath(a.DeviceID), a.Ticket), Request: p}))
}

// stand reads what is known of a beyond its row: the progress of a
// waiting attempt, and after a 204, while watching or when asked to
// check, the device itself.
func (h *watchHandler) stand(c echo.Context, a audit.Attempt, check bool) (standing, error) {
	s := standing{Attempt: a}
	ctx := c.Request().Context()
	switch {
	case a.Outcome == audit.Pending:
		var err error
		if s.progress, s.position, s.waiting, err = h.trail.ProgressOf(ctx, a.ID); err != nil {
			return s, err
		}
	case a.Outcome == audit.Succeeded && (check || !a.Session.State.Final() && h.now().Sub(a.CompletedAt) < watchFor):
		token, err := h.tokens.GraphToken(ctx)
		if err != nil {
			return s, err
		}
		if !check {
			// Nobody clicked for this look: it waits for no read slot and
			// leaves the budget's reserve to the pages.
			ctx = readbudget.Background(ctx)
		}
		st, err := h.graph.DeviceAssistance(ctx, token, a.DeviceID)
		var busy *readbudget.Busy
		if errors.As(err, &busy) {
			// The request stands as recorded, and says why nothing new is
			// known; the next poll comes when a slot may be free.
			s.intuneBusy = busy.RetryAfter
			return s, nil
		}
		if err != nil {
			// The request stands as recorded; the next poll reads again.
			noteError(c, err)
			return s, nil
		}
		session := sessionOf(st)
		if session.State == audit.SessionReady {
			s.sessionURL = st.SessionURL
		}
		// What the device showed once it was final stays what it showed:
		// a later look can only bring back the link of a ready session.
		if a.Session.State.Final() {
			if a.Session.State != audit.SessionReady {
				s.sessionURL = ""
			}
			return s, nil
		}
		if session.State != a.Session.State || session.Error != a.Session.Error {
			if _, err := h.trail.SetSession(ctx, a.ID, session); err != nil {
				noteError(c, err)
			}
			session.At = h.now()
			s.Session = session
		}
	}
	return s, nil
}

// sessionOf is what the device shows of the latest remote-assistance request.
func sessionOf(st graph.AssistanceState) audit.Session {
	switch {
	case st.SessionError != "":
		return audit.Session{State: audit.SessionFailed, Error: st.SessionError}
	case isHTTPS(st.SessionURL):
		return audit.Session{State: audit.SessionReady}
	}
	for _, r := range st.ActionResults {
		switch {
		case r.ActionName != "requestRemoteAssistance":
		case r.ActionState == "notSupported":
			return audit.Session{State: audit.SessionNotSupported}
		case r.ActionState == "failed":
			return audit.Session{State: audit.SessionFailed}
		}
	}
	return audit.Session{State: audit.SessionWaiting}
}

func isHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != ""
}
