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

// userDirectory reads a user and their devices from Graph.
type userDirectory interface {
	User(ctx context.Context, token, ref string) (graph.User, error)
	UserDevices(ctx context.Context, token, userRef string, limit int) ([]graph.ManagedDevice, error)
}

type usersHandler struct {
	graph  userDirectory
	tokens graphTokens
	now    func() time.Time
	// publicURL makes the absolute links pasted into tickets.
	publicURL *url.URL
	connector *connectorStates
}

// page shows a user (object id or UPN) and their managed devices. The
// user and the device list are two independent Graph calls, made at once.
func (h *usersHandler) page(c echo.Context) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	ref, err := idParam(c, "user", graph.IsUserRef, "A user is named by an object id (a GUID) or a user principal name such as adele@contoso.com.")
	if err != nil {
		return err
	}
	show, err := showParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	var (
		wg         sync.WaitGroup
		user       graph.User
		devices    []graph.ManagedDevice
		userErr    error
		devicesErr error
	)
	wg.Go(func() { user, userErr = h.graph.User(ctx, token, ref) })
	wg.Go(func() { devices, devicesErr = h.graph.UserDevices(ctx, token, ref, show+1) })
	var connector string
	wg.Go(func() { connector = h.connector.status(ctx, technicianOf(c).Key(), token) })
	wg.Wait()

	if graph.IsNotFound(userErr) {
		noteError(c, userErr)
		return echo.NewHTTPError(http.StatusNotFound, "There is no user "+ref+" in the directory, or you may not see them.")
	}
	if userErr != nil {
		noteError(c, userErr)
		return echo.NewHTTPError(http.StatusBadGateway, graphProblem(userErr, "read this user"))
	}
	m := pages.UserPage{
		Page:             pageFor(c, user.DisplayName),
		Ticket:           ticket,
		SearchURL:        withTicket("/", ticket),
		Name:             orDash(user.DisplayName),
		TicketLink:       ticketLink(h.publicURL, userPath(user.ID), ticket),
		ConnectorWarning: connectorWarning(connector),
		UPN:              user.UserPrincipalName,
		Mail:             user.Mail,
	}
	if devicesErr != nil {
		noteError(c, devicesErr)
		m.DevicesProblem = graphProblem(devicesErr, "list this user's devices")
	}
	m.More = moreProps(c, show, len(devices))
	if len(devices) > show {
		devices = devices[:show]
	}
	now := h.now()
	for _, d := range devices {
		p := deviceProps(d, now, withTicket(userPath(user.ID)+"/devices/"+d.ID+"/assistance", ticket))
		p.DeviceURL = withTicket(devicePath(d.ID), ticket)
		p.EnrolledBy = ""
		m.Devices = append(m.Devices, p)
	}
	return render(c, http.StatusOK, pages.User(m))
}
