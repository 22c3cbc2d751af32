package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/pages"
)

const noteKey = "web.error"

// noteError attaches err to the request's log line.
func noteError(c echo.Context, err error) { c.Set(noteKey, err) }

// notFoundError is a 404 for something a technician looked for: the page
// offers to search for it instead.
type notFoundError struct {
	detail i18n.Text
	search string
}

func (e *notFoundError) Error() string { return e.detail.String() }

// notFound answers 404 with a sentence and a search prefilled with query.
func notFound(detail i18n.Text, query string) error {
	return &notFoundError{detail: detail, search: query}
}

// statusClientGone is what the log and the metrics record for a request
// whose browser left before its answer (nginx's 499).
const statusClientGone = 499

// errorHandler is the one place a handler's error becomes a response: an
// echo.HTTPError keeps its status and message, anything else is a 500 whose
// details go to the log, not to the browser. htmx gets the problem as a
// notice to show in place of the fragment it asked for.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			// The browser went away (a technician who left the page while it
			// loaded): nobody is there to answer, and nothing went wrong.
			noteError(c, err)
			_ = c.NoContent(statusClientGone)
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
				Detail: i18n.M("problem.internal"),
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
				problem.Problem.ActionText, problem.Problem.ActionURL = i18n.M("signIn.title"), "/login"
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
func messageOf(he *echo.HTTPError) i18n.Text {
	if t, ok := he.Message.(i18n.Text); ok {
		return t
	}
	switch he.Code {
	case http.StatusNotFound:
		return i18n.M("problem.noPage")
	case http.StatusMethodNotAllowed:
		return i18n.M("problem.wrongMethod")
	case http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		return i18n.M("problem.tooLargeDetail")
	}
	return i18n.M("problem.notServed")
}
