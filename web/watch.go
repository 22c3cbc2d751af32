package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
)

// watchFor is how long after a 204 the outcome keeps looking at the device
// for the session TeamViewer opens, or the reason it could not.
const watchFor = 2 * time.Minute

// attemptReader reads one attempt and its progress, from whichever
// instance wrote them.
type attemptReader interface {
	Get(ctx context.Context, id string) (audit.Attempt, error)
	ProgressOf(ctx context.Context, id string) (audit.Progress, int, bool, error)
}

// assistanceReader reads what followed a request on the device.
type assistanceReader interface {
	DeviceAssistance(ctx context.Context, token, deviceID string) (graph.AssistanceState, error)
}

type watchHandler struct {
	trail   attemptReader
	graph   assistanceReader
	tokens  graphTokens
	now     func() time.Time
	waiting func(id, state string, wait time.Duration, position int) components.WatchProps
}

// status is GET /assistance/{attemptId}: the live state of one attempt, a
// fragment that asks again while there is something to wait for.
func (h *watchHandler) status(c echo.Context) error {
	id, err := idParam(c, "attemptId", graph.IsGUID, "An attempt is named by its id, a GUID.")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := h.trail.Get(ctx, id)
	// Another technician's attempt is not found either: ids are not secrets
	// to guess, but there is no reason to show it.
	if errors.Is(err, audit.ErrNotFound) || (err == nil && a.TechnicianKey != technicianOf(c).Key()) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no such assistance request of yours.")
	}
	if err != nil {
		return err
	}
	p := components.WatchProps{AttemptID: a.ID, URL: "/assistance/" + url.PathEscape(a.ID)}
	switch a.Outcome {
	case audit.Pending:
		progress, position, waiting, err := h.trail.ProgressOf(ctx, a.ID)
		if err != nil {
			return err
		}
		p.State, p.Polling = "Waiting for Microsoft Graph to answer…", true
		if waiting {
			p = h.waiting(a.ID, progress.State, progress.RetryAt.Sub(h.now()), position)
		}
	case audit.Succeeded:
		// A status that was polling while the attempt waited turns into the
		// outcome, and the outcome goes on watching the device.
		if c.QueryParam("follow") == "" {
			return render(c, http.StatusOK, components.Outcome(outcomeOf(a)))
		}
		p.URL += "?follow=1"
		if err := h.follow(c, a, &p); err != nil {
			return err
		}
	default:
		return render(c, http.StatusOK, components.Outcome(outcomeOf(a)))
	}
	return render(c, http.StatusOK, components.Watch(p))
}

// follow fills in what the device shows after an accepted request.
func (h *watchHandler) follow(c echo.Context, a audit.Attempt, p *components.WatchProps) error {
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	st, err := h.graph.DeviceAssistance(ctx, token, a.DeviceID)
	watching := h.now().Sub(a.CompletedAt) < watchFor
	switch {
	case err != nil:
		noteError(c, err)
		p.State = "Could not read the device just now: " + explain(err)
		p.Polling = watching
	case st.SessionError != "":
		p.State, p.SessionError = "The remote assistance session could not start.", st.SessionError
	case isHTTPS(st.SessionURL):
		p.State, p.SessionURL = "The session is ready.", st.SessionURL
	default:
		p.State = "Waiting for the user to accept in Company Portal…"
		for _, r := range st.ActionResults {
			if r.ActionName == "requestRemoteAssistance" && r.ActionState != "" {
				p.State = "Intune reports the request as " + r.ActionState + "."
			}
		}
		p.Polling = watching
		if !watching {
			p.State += " Stopped watching after two minutes; the device page shows later changes."
		}
	}
	return nil
}

func isHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// outcomeOf is the outcome of a final attempt as the trail recorded it.
func outcomeOf(a audit.Attempt) components.OutcomeProps {
	p := components.OutcomeProps{
		Success:         a.Outcome == audit.Succeeded,
		Status:          a.GraphStatus,
		Code:            a.GraphErrorCode,
		RequestID:       a.GraphRequestID,
		ClientRequestID: a.ClientRequestID,
		At:              a.CompletedAt.UTC().Format("15:04:05 UTC"),
		Route:           a.Route,
		AttemptID:       a.ID,
	}
	if a.FallbackRoute != 0 {
		p.Route = a.FallbackRoute
		p.Fallback = fmt.Sprintf("Graph refused route %d as a route, so the request was sent on route 2.", a.Route)
	}
	switch {
	case p.Success:
		p.Next = "Intune queued the request. The device's user gets a Company Portal notification to accept the session."
		p.WatchURL = "/assistance/" + url.PathEscape(a.ID) + "?follow=1"
	case a.Outcome == audit.Refused:
		p.Code = "WriteBudget"
		p.Sentence = "The portal's share of Intune's write limit stayed used up for too long. Nothing was sent to Intune. Try again in a minute."
	case a.Outcome == audit.Unknown:
		p.Sentence = outcomeUnknown
	default:
		p.Sentence = explain(&graph.Error{Status: a.GraphStatus, Code: a.GraphErrorCode})
	}
	return p
}
