package web

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/pages"
)

// deviceReader reads one managed device and its primary user from Graph.
type deviceReader interface {
	Device(ctx context.Context, token, deviceID string) (graph.ManagedDevice, error)
	DeviceUsers(ctx context.Context, token, deviceID string) ([]graph.User, error)
}

type devicesHandler struct {
	graph  deviceReader
	tokens graphTokens
	now    func() time.Time
	// publicURL makes the absolute links pasted into tickets.
	publicURL *url.URL
	connector *connectorStates
}

// page shows one managed device; it is also where device deep links land.
func (h *devicesHandler) page(c echo.Context) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "deviceId", graph.IsGUID, "A device is named by its Intune device id, a GUID.")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	var (
		wg       sync.WaitGroup
		d        graph.ManagedDevice
		users    []graph.User
		usersErr error
	)
	wg.Go(func() { d, err = h.graph.Device(ctx, token, id) })
	wg.Go(func() { users, usersErr = h.graph.DeviceUsers(ctx, token, id) })
	var connector string
	wg.Go(func() { connector = h.connector.status(ctx, technicianOf(c).Key(), token) })
	wg.Wait()
	if graph.IsNotFound(err) {
		noteError(c, err)
		return echo.NewHTTPError(http.StatusNotFound, "Intune has no device "+id+" for you: it was deleted, or it is outside your scope tags.")
	}
	if err != nil {
		noteError(c, err)
		return echo.NewHTTPError(http.StatusBadGateway, graphProblem(err, "read this device"))
	}
	m := pages.DevicePage{
		Page:             pageFor(c, d.DeviceName),
		Ticket:           ticket,
		SearchURL:        withTicket("/", ticket),
		Device:           deviceProps(d, h.now(), withTicket(devicePath(d.ID)+"/assistance", ticket)),
		TicketLink:       ticketLink(h.publicURL, devicePath(d.ID), ticket),
		ConnectorWarning: connectorWarning(connector),
	}
	if graph.IsGUID(d.UserID) {
		m.UserURL = withTicket(userPath(d.UserID), ticket)
	}
	details := deviceDetails(d)
	if usersErr != nil {
		noteError(c, usersErr)
		details.PrimaryUser = "could not be read"
	} else if len(users) > 0 {
		details.PrimaryUser = firstOf(users[0].DisplayName, users[0].UserPrincipalName)
		details.PrimaryUserURL = withTicket(userPath(users[0].ID), ticket)
	}
	m.Device.Details = &details
	return render(c, http.StatusOK, pages.Device(m))
}
