package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/pages"
)

const noteKey = "web.error"

// noteError attaches err to the request's log line.
func noteError(c echo.Context, err error) { c.Set(noteKey, err) }

// notFoundError is a 404 for something a technician looked for: the page
// offers to search for it instead.
type notFoundError struct {
	detail, search string
}

func (e *notFoundError) Error() string { return e.detail }

// notFound answers 404 with a sentence and a search prefilled with query.
func notFound(detail, query string) error {
	return &notFoundError{detail: detail, search: query}
}

// errorHandler is the one place a handler's error becomes a response: an
// echo.HTTPError keeps its status and message, anything else is a 500 whose
// details go to the log, not to the browser. htmx gets the problem as a
// notice to show in place of the fragment it asked for.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, auth.ErrReauthenticate) {
			// The Graph token is gone for good: sign in again and come back.
			noteError(c, err)
			_ = signInAgain(c)
			return
		}
		problem := pages.ProblemPage{
			Problem: components.ProblemProps{
				Status: http.StatusInternalServerError,
				Detail: "The portal could not complete this request. Try again; if it persists, tell your administrator the time it happened.",
			},
		}
		var he *echo.HTTPError
		var nf *notFoundError
		switch {
		case errors.As(err, &nf):
			problem.Problem.Status, problem.Problem.Detail = http.StatusNotFound, nf.detail
			problem.Search = &pages.SearchBox{Query: nf.search, Ticket: pageTicket(c).Ref}
		case errors.As(err, &he):
			problem.Problem.Status = he.Code
			problem.Problem.Detail = messageOf(he)
			if he.Code == http.StatusUnauthorized {
				problem.Problem.ActionText, problem.Problem.ActionURL = "Sign in", "/login"
			}
			if he.Code == http.StatusNotFound {
				problem.Search = &pages.SearchBox{Ticket: pageTicket(c).Ref}
			}
		}
		noteError(c, err)
		r := c.Request()
		status := problem.Problem.Status
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && (status >= 500 || status == http.StatusTooManyRequests) {
			// The same address again: the ticket and the query go with it.
			problem.Problem.RetryURL = r.URL.RequestURI()
		}
		var page templ.Component
		if isFragment(c) {
			page = components.Problem(problem.Problem)
		} else {
			problem.Page = pageFor(c, components.ProblemTitle(status))
			problem.SearchURL = withTicket("/", pageTicket(c).Ref)
			page = pages.Problem(problem)
		}
		if rerr := render(c, status, page); rerr != nil {
			logger.Error("render error page", slog.Any("error", rerr))
			_ = c.NoContent(status)
		}
	}
}

// messageOf is a handler's own sentence, or for echo's own errors (an
// unrouted path, a wrong method, a body too large) a sentence about them.
func messageOf(he *echo.HTTPError) string {
	if s, ok := he.Message.(string); ok && s != http.StatusText(he.Code) {
		return s
	}
	switch he.Code {
	case http.StatusNotFound:
		return "There is no page at this address. Check the link, or search for what you were looking for."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	case http.StatusRequestEntityTooLarge:
		return "The request is larger than the portal accepts."
	}
	return "The request could not be served."
}
