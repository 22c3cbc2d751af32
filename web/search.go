package web

import (
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/views/pages"
)

// maxQuery caps the search text; Graph has no use for more.
const maxQuery = 256

// ticketRef is what a ticket reference may look like.
var ticketRef = regexp.MustCompile(`^[A-Za-z0-9\-_.#/]{1,64}$`)

type searchHandler struct{}

// page is the search page; a ticket deep link pre-fills it.
func (h *searchHandler) page(c echo.Context) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	q := c.QueryParam("q")
	if len([]rune(q)) > maxQuery {
		return echo.NewHTTPError(http.StatusBadRequest, "The search text is longer than 256 characters.")
	}
	return render(c, http.StatusOK, pages.Search(pages.SearchPage{
		Page:   pageFor(technicianOf(c), "Search"),
		Query:  q,
		Ticket: ticket,
	}))
}

// ticketParam reads ?ticket=, refusing (not dropping) a malformed one, so a
// broken ticket link is noticed rather than silently losing the reference.
func ticketParam(c echo.Context) (string, error) {
	t := c.QueryParam("ticket")
	if t == "" || ticketRef.MatchString(t) {
		return t, nil
	}
	return "", echo.NewHTTPError(http.StatusBadRequest,
		"The ticket reference in this link is not valid: use up to 64 letters, digits and - _ . # / characters.")
}
