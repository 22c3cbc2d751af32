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
	"github.com/assistdesk/assistdesk/views/i18n"
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
	cards  deviceCards
	// trail lists the person's requests when their devices cannot be read.
	trail attemptLister
	// publicURL makes the absolute links pasted into tickets.
	publicURL *url.URL
	connector *connectorStates
}

// page shows a user (object id or UPN) and their managed devices. The
// user and the device list are two independent Graph calls, made at once.
func (h *usersHandler) page(c echo.Context) error {
	ticket := pageTicket(c)
	ref, err := idParam(c, "user", graph.IsUserRef, i18n.M("params.badUserRef"))
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
		return notFound(i18n.M("users.notFound", ref), searchTermOf(ref))
	}
	if userErr != nil {
		return readFailure(c, userErr, "read.user")
	}
	user.ID = strings.ToLower(user.ID)
	m := pages.UserPage{
		Page:       pageFor(c, i18n.Data(user.DisplayName)),
		Ticket:     ticket,
		SearchURL:  withTicket("/", ticket.Ref),
		Name:       orDash(user.DisplayName),
		TicketLink: ticketLink(h.publicURL, userPath(user.ID), ticket.Ref),
		Connector:  connector,
		UPN:        user.UserPrincipalName,
		Mail:       user.Mail,
	}
	if devicesErr != nil {
		noteError(c, devicesErr)
		m.DevicesProblem, m.DevicesRetryURL = graphProblem(devicesErr, "read.userDevices"), retryURL(c, devicesErr)
		// Without the devices there are no cards to show a request on:
		// the person's latest requests come from the audit trail instead,
		// so that one still in progress does not vanish from the page.
		m.Requests = requestsWhere(c, h.trail, audit.Filter{UserUPN: user.UserPrincipalName}, h.cards.now())
	}
	m.More = moreProps(c, show, len(devices))
	if len(devices) > show {
		devices = devices[:show]
	}
	m.Devices, err = h.cards.cards(c, devices, cardsOf{
		person: &user,
		assist: func(d graph.ManagedDevice) string {
			return userPath(user.ID) + "/devices/" + strings.ToLower(d.ID) + "/assistance"
		},
		signed:    true,
		connector: connector,
		ticket:    ticket.Ref,
	})
	m.RequestsMissing = err != nil
	for i, d := range m.Devices {
		m.Devices[i].URL = withTicket(devicePath(d.ID), ticket.Ref)
	}
	return render(c, http.StatusOK, pages.User(m))
}

// searchTermOf is what to search for instead of a user that was not found:
// the UPN's name part ("adele.vance" of adele.vance@contoso.com), nothing
// for an object id.
func searchTermOf(ref string) string {
	if graph.IsGUID(ref) {
		return ""
	}
	name, _, _ := strings.Cut(ref, "@")
	return name
}
