package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/pages"
)

// searchLimit is how many users a search shows.
const searchLimit = 25

// searcher finds users, and devices by the start of their name or by
// serial number, in Graph.
type searcher interface {
	SearchUsers(ctx context.Context, token, q string, limit int) ([]graph.User, error)
	DevicesByNamePrefix(ctx context.Context, token, prefix string) ([]graph.ManagedDevice, error)
	DevicesBySerial(ctx context.Context, token, serial string) ([]graph.ManagedDevice, error)
}

// graphTokens hands out the signed-in technician's Graph token.
type graphTokens interface {
	GraphToken(ctx context.Context) (string, error)
}

// recentAttempts reads a technician's own latest assistance requests.
type recentAttempts interface {
	Recent(ctx context.Context, technicianKey string, n int) ([]audit.Attempt, error)
}

type searchHandler struct {
	graph  searcher
	tokens graphTokens
	recent recentAttempts
	now    func() time.Time
}

// recentRows is how many of their own requests a technician sees on the
// search page.
const recentRows = 10

// page is the search page; a deep link with ?q= shows its results at once.
func (h *searchHandler) page(c echo.Context) error {
	return h.render(c, false)
}

// results answers /search: the results fragment for htmx, else the page.
func (h *searchHandler) results(c echo.Context) error {
	return h.render(c, isFragment(c))
}

func (h *searchHandler) render(c echo.Context, fragment bool) error {
	ticket := pageTicket(c)
	q, ok := searchText(c.QueryParam("q"))
	status, results := http.StatusBadRequest, components.ResultsProps{Query: q, Problem: i18n.M("params.badSearch")}
	if ok {
		var err error
		if results, err = h.search(c, q, ticket.Ref); err != nil {
			return err
		}
		status = http.StatusOK
	}
	if fragment {
		return render(c, status, components.Results(results))
	}
	recent, err := h.recent.Recent(c.Request().Context(), technicianOf(c).Key(), recentRows)
	if err != nil {
		// The search works without the list; say it is missing.
		noteError(c, err)
	}
	rows := requestRows(recent, technicianOf(c).Key(), h.now())
	return render(c, status, pages.Search(pages.SearchPage{
		Page:          pageFor(c, i18n.M("nav.search")),
		Query:         q,
		Ticket:        ticket,
		Results:       results,
		Recent:        rows,
		RecentMissing: err != nil,
	}))
}

// searchText is ?q= as it is searched: each run of white space one space,
// since a name pasted from a ticket may hold a line break or a tab. ok is
// false for text Graph is not sent: not UTF-8, holding another control
// character, or longer than graph.MaxQuery. The text then comes back as
// far as the search box can show it, so the technician can mend it.
func searchText(raw string) (q string, ok bool) {
	q = strings.Join(strings.Fields(raw), " ")
	ok = utf8.ValidString(q) && !strings.ContainsFunc(q, unicode.IsControl) && utf8.RuneCountInString(q) <= graph.MaxQuery
	if !ok {
		q = truncateRunes(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, q), graph.MaxQuery)
	}
	return q, ok
}

func (h *searchHandler) search(c echo.Context, q, ticket string) (components.ResultsProps, error) {
	results := components.ResultsProps{Query: q}
	if q == "" {
		return results, nil
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return results, err
	}
	// The user search, and for a query that could start a device name or
	// be a serial number the device lookups, run at once.
	var (
		wg               sync.WaitGroup
		users            []graph.User
		userErr          error
		byName, bySerial []graph.ManagedDevice
	)
	wg.Go(func() { users, userErr = h.graph.SearchUsers(ctx, token, q, searchLimit+1) })
	if graph.CouldBeDeviceKey(q) {
		wg.Go(func() { byName, _ = h.graph.DevicesByNamePrefix(ctx, token, q) })
	}
	if graph.CouldBeSerial(q) {
		wg.Go(func() { bySerial, _ = h.graph.DevicesBySerial(ctx, token, q) })
	}
	wg.Wait()
	devices := slices.Concat(bySerial, byName)
	slices.SortStableFunc(devices, func(x, y graph.ManagedDevice) int { return y.LastSyncDateTime.Compare(x.LastSyncDateTime) })
	seen := map[string]bool{}
	for _, d := range devices {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		results.Devices = append(results.Devices, components.DeviceRow{
			Name:     orDash(d.DeviceName),
			OS:       strings.TrimSpace(d.OperatingSystem + " " + d.OSVersion),
			User:     firstOf(d.UserDisplayName, d.UserPrincipalName),
			LastSync: d.LastSyncDateTime,
			URL:      withTicket(devicePath(strings.ToLower(d.ID)), ticket),
		})
	}
	if userErr != nil {
		noteError(c, userErr)
		results.Problem = graphProblem(userErr, "read.search")
		return results, nil
	}
	if len(users) > searchLimit {
		users, results.Limited = users[:searchLimit], true
	}
	names := map[string]int{}
	for _, u := range users {
		names[strings.ToLower(u.DisplayName)]++
	}
	for _, u := range users {
		results.Users = append(results.Users, components.UserRow{
			Name:     orDash(u.DisplayName),
			UPN:      u.UserPrincipalName,
			Mail:     u.Mail,
			GuestOf:  guestHome(u.UserPrincipalName),
			SameName: names[strings.ToLower(u.DisplayName)] > 1,
			URL:      withTicket(userPath(strings.ToLower(u.ID)), ticket),
		})
	}
	return results, nil
}

// guestHome is the home domain of a guest, whose UPN Entra ID writes as
// "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com"; "" for members.
func guestHome(upn string) string {
	local, _, guest := strings.Cut(upn, "#EXT#")
	if !guest {
		return ""
	}
	if i := strings.LastIndex(local, "_"); i >= 0 {
		return local[i+1:]
	}
	return ""
}
