package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// ticketRef is what a ticket reference may look like.
var ticketRef = regexp.MustCompile(`^[A-Za-z0-9\-_.#/]{1,64}$`)

// ticketParam reads ?ticket=, refusing (not dropping) a malformed one, so a
// broken ticket link is noticed rather than silently losing the reference.
func ticketParam(c echo.Context) (string, error) {
	t := c.QueryParam("ticket")
	if t == "" || ticketRef.MatchString(t) {
		return t, nil
	}
	return "", echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badTicket"))
}

// againParam reads the form's again: the refusal a "Request again"
// answers, "" when none, as attempt ids are spelled (lower case).
func againParam(c echo.Context) (string, error) {
	v := strings.ToLower(c.FormValue("again"))
	if v == "" || graph.IsGUID(v) {
		return v, nil
	}
	return "", echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badAttempt"))
}

// pageTicket reads ?ticket= for a page. A malformed reference does not
// block the page: the page shows it with a warning and records nothing,
// while a request for assistance (ticketParam) refuses it.
func pageTicket(c echo.Context) components.TicketRef {
	t := c.QueryParam("ticket")
	if t == "" || ticketRef.MatchString(t) {
		return components.TicketRef{Ref: t}
	}
	return components.TicketRef{Invalid: truncateRunes(t, 80)}
}

// withTicket adds the ticket reference to a portal URL.
func withTicket(path, ticket string) string {
	if ticket == "" {
		return path
	}
	return path + "?ticket=" + url.QueryEscape(ticket)
}

// idParam returns a path parameter decoded once (Echo hands out the
// escaped form when the request path holds escapes, as in a UPN's
// %23EXT%23), or a 400 with problem when it is not the kind of id valid
// accepts: an id reaches Graph only in the shape Graph expects. GUIDs and
// detected-app ids are returned in lower case, Graph's own spelling.
func idParam(c echo.Context, name string, valid func(string) bool, problem i18n.Text) (string, error) {
	v, err := url.PathUnescape(c.Param(name))
	if err != nil {
		return "", echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badEscape"))
	}
	if !valid(v) {
		return "", echo.NewHTTPError(http.StatusBadRequest, problem)
	}
	if graph.IsGUID(v) || graph.IsDetectedAppID(v) {
		// One spelling of each id, from here on: in the duplicate guard,
		// the audit trail, links and logs. (A UPN keeps its spelling: it
		// is shown as well as used, and Graph matches it in any case.)
		v = strings.ToLower(v)
	}
	return v, nil
}

// userPath is the portal URL of a user's page.
func userPath(ref string) string { return "/users/" + url.PathEscape(ref) }

// devicePath is the portal URL of a device's page.
func devicePath(id string) string { return "/devices/" + url.PathEscape(id) }

// ticketLink is the absolute link a technician pastes into a ticket: the
// page by its stable id, with the ticket reference (or a placeholder for
// the ticket system to fill in).
func ticketLink(public *url.URL, path, ticket string) string {
	if ticket == "" {
		ticket = "TICKET"
	}
	return public.String() + withTicket(path, ticket)
}

// pageSteps are the list sizes a page offers, smallest first: a tenant's
// busiest app or shared account can have thousands of devices, and a page
// loads them only when asked.
var pageSteps = []int{50, 250, 1000}

// showParam reads ?show=, the number of devices a list page shows.
func showParam(c echo.Context) (int, error) {
	raw := c.QueryParam("show")
	if raw == "" {
		return pageSteps[0], nil
	}
	for _, n := range pageSteps {
		if raw == strconv.Itoa(n) {
			return n, nil
		}
	}
	return 0, echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badShow"))
}

// moreProps says a list was cut at show and offers the next step.
func moreProps(c echo.Context, show, got int) components.MoreProps {
	if got <= show {
		return components.MoreProps{}
	}
	m := components.MoreProps{Shown: show}
	for _, n := range pageSteps {
		if n > show {
			q := c.QueryParams()
			q.Set("show", strconv.Itoa(n))
			m.NextURL, m.Next = c.Request().URL.Path+"?"+q.Encode(), n
			break
		}
	}
	return m
}
