package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"

	"github.com/assistdesk/assistdesk/views/pages"
)

const noteKey = "web.error"

// noteError attaches err to the request's log line.
func noteError(c echo.Context, err error) { c.Set(noteKey, err) }

// errorHandler is the one place a handler's error becomes a response: an
// echo.HTTPError keeps its status and message, anything else is a 500 whose
// details go to the log, not to the browser.
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
			Status: http.StatusInternalServerError,
			Title:  "Something went wrong",
			Detail: "The portal could not complete this request. Try again; if it persists, tell your administrator the time it happened.",
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			problem.Status = he.Code
			problem.Title = http.StatusText(he.Code)
			problem.Detail = messageOf(he)
			if he.Code == http.StatusUnauthorized {
				problem.ActionText, problem.ActionURL = "Sign in", "/login"
			}
		}
		noteError(c, err)
		problem.Page = pageFor(c, problem.Title)
		if rerr := render(c, problem.Status, pages.Problem(problem)); rerr != nil {
			logger.Error("render error page", slog.Any("error", rerr))
			_ = c.NoContent(problem.Status)
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
		return "There is no page at this address. Check the link, or start from the search page."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	case http.StatusRequestEntityTooLarge:
		return "The request is larger than the portal accepts."
	}
	return "The request could not be served."
}
