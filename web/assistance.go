package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/ratelimit"
	"github.com/assistdesk/assistdesk/views/components"
)

// assister sends requestRemoteAssistance to Graph.
type assister interface {
	RequestRemoteAssistance(ctx context.Context, token string, r graph.Route) (graph.Response, error)
}

type assistanceHandler struct {
	graph  assister
	tokens graphTokens
	now    func() time.Time
	limit  *ratelimit.Limiter
}

// viaUser is route 1, from a user's page.
func (h *assistanceHandler) viaUser(c echo.Context) error {
	userID, err := pathParam(c, "userId")
	if err != nil {
		return err
	}
	deviceID, err := pathParam(c, "deviceId")
	if err != nil {
		return err
	}
	if !graph.IsUserRef(userID) || !graph.IsGUID(deviceID) {
		return echo.NewHTTPError(http.StatusBadRequest, "The user or device id in this request is not valid; nothing was sent to Intune.")
	}
	return h.request(c, graph.UserDeviceRoute(userID, deviceID))
}

// viaDevice is route 2, from a device's page.
func (h *assistanceHandler) viaDevice(c echo.Context) error {
	deviceID, err := pathParam(c, "deviceId")
	if err != nil {
		return err
	}
	if !graph.IsGUID(deviceID) {
		return echo.NewHTTPError(http.StatusBadRequest, "The device id in this request is not valid; nothing was sent to Intune.")
	}
	return h.request(c, graph.DeviceRoute(deviceID))
}

// request sends the action and renders the outcome in place. A routing
// refusal of routes 1, 3 or 4 means Graph did not execute the action, so
// the same device is asked once more on route 2, and the outcome says so.
func (h *assistanceHandler) request(c echo.Context, route graph.Route) error {
	if _, err := ticketParam(c); err != nil {
		return err
	}
	if ok, wait := h.limit.Allow(technicianOf(c).Key()); !ok {
		return tooMany(c, wait, "assistance requests from you in the last minute")
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	resp, err := h.graph.RequestRemoteAssistance(ctx, token, route)
	fallback := ""
	if route.Number != 2 && graph.IsRoutingRefusal(err) {
		noteError(c, err)
		fallback = fmt.Sprintf("Graph refused route %d as a route (the action was not executed there), so the request was sent on route 2, the device's own path.", route.Number)
		route = graph.DeviceRoute(route.DeviceID)
		resp, err = h.graph.RequestRemoteAssistance(ctx, token, route)
	}
	p := components.OutcomeProps{
		Route:    route.Number,
		Fallback: fallback,
		At:       h.now().UTC().Format("15:04:05 UTC"),
	}
	if err == nil {
		p.Success = true
		p.Status = resp.Status
		p.RequestID, p.ClientRequestID, p.Date = resp.RequestID, resp.ClientRequestID, resp.Date
		p.Next = "Intune queued the request. The device's user gets a Company Portal notification to accept the session; " +
			"once they do, TeamViewer connects you. Nothing appears on Windows devices enrolled without a user."
		return render(c, http.StatusOK, components.Outcome(p))
	}
	noteError(c, err)
	var ge *graph.Error
	var te *graph.TransportError
	switch {
	case errors.As(err, &ge):
		p.Status, p.Code = ge.Status, ge.Code
		p.RequestID, p.ClientRequestID, p.Date = ge.RequestID, ge.ClientRequestID, ge.Date
		p.Sentence = explain(err)
		if ge.Status == http.StatusBadGateway || ge.Status == http.StatusGatewayTimeout {
			p.Sentence = outcomeUnknown
		}
	case errors.As(err, &te):
		p.ClientRequestID = te.ClientRequestID
		p.Sentence = outcomeUnknown
	default:
		return err
	}
	return render(c, http.StatusBadGateway, components.Outcome(p))
}

// outcomeUnknown: the action is not idempotent, and without an answer
// nobody knows whether Intune took it.
const outcomeUnknown = "Outcome unknown: Intune may or may not have queued the request. Check the device's actions in Intune " +
	"(or wait 60 s and look at this device again) before retrying."
