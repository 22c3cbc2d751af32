package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
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
	cards  deviceCards
	trail  attemptLister
	// publicURL makes the absolute links pasted into tickets.
	publicURL *url.URL
	connector *connectorStates
}

// page shows one managed device; it is also where device deep links land.
func (h *devicesHandler) page(c echo.Context) error {
	ticket := pageTicket(c)
	id, err := idParam(c, "deviceId", graph.IsGUID, i18n.M("params.badDeviceID"))
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
		return notFound(i18n.M("devices.notFound", id), "")
	}
	m := pages.DevicePage{
		Page:       pageFor(c, i18n.Data(d.DeviceName)),
		Ticket:     ticket,
		SearchURL:  withTicket("/", ticket.Ref),
		TicketLink: ticketLink(h.publicURL, devicePath(id), ticket.Ref),
		Connector:  connector,
	}
	// The primary user is whom the device is for; Intune's own user on
	// the device is the one who enrolled it.
	var primary graph.User
	switch {
	case usersErr != nil:
		noteError(c, usersErr)
		m.PrimaryUserUnread = true
	case len(users) > 0:
		primary = users[0]
		m.PrimaryUser = firstOf(primary.DisplayName, primary.UserPrincipalName)
		m.PrimaryUserURL = withTicket(userPath(strings.ToLower(primary.ID)), ticket.Ref)
	}
	if err != nil {
		return h.unread(c, id, m, err)
	}
	cards, err := h.cards.cards(c, []graph.ManagedDevice{d}, cardsOf{
		person:    &primary,
		assist:    func(graph.ManagedDevice) string { return devicePath(id) + "/assistance" },
		signed:    true,
		connector: connector,
		ticket:    ticket.Ref,
	})
	m.RequestsMissing = err != nil
	m.Device = cards[0]
	m.Device.Details = deviceDetails(d)
	return render(c, http.StatusOK, pages.Device(m))
}

// unread answers for a device Graph could not be read for: its latest
// requests from the audit trail under why, so that one still in progress
// does not vanish from the page; with none, the error page.
func (h *devicesHandler) unread(c echo.Context, id string, m pages.DevicePage, err error) error {
	m.Requests = requestsWhere(c, h.trail, audit.Filter{DeviceID: id}, h.cards.now())
	if len(m.Requests) == 0 {
		return readFailure(c, err, "read.device")
	}
	noteError(c, err)
	name := m.Requests[0].Device
	m.Page = pageFor(c, i18n.Data(name))
	m.Device = components.DeviceProps{ID: id, Name: name}
	m.Problem, m.RetryURL = graphProblem(err, "read.device"), retryURL(c, err)
	return render(c, failureStatus(c, err), pages.Device(m))
}
