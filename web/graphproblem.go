package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readbudget"
	"github.com/assistdesk/assistdesk/views/format"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// explain turns a failed Graph call into a sentence a technician can act
// on. Graph's own message is never shown: it is not written for end users.
func explain(err error) i18n.Text {
	var ge *graph.Error
	var te *graph.TransportError
	var busy *readbudget.Busy
	switch {
	case errors.As(err, &busy):
		return i18n.M("graph.busy", format.RetryIn(busy.RetryAfter))
	case errors.As(err, &ge):
		switch {
		case ge.Status == http.StatusUnauthorized:
			return i18n.M("graph.signIn")
		case ge.Status == http.StatusForbidden:
			return i18n.M("graph.forbidden")
		case ge.Status == http.StatusNotFound:
			return i18n.M("graph.notFound")
		case ge.Status == http.StatusTooManyRequests:
			return i18n.M("graph.throttled", format.RetryIn(ge.RetryAfter))
		case ge.Status == http.StatusServiceUnavailable && graph.IsIntune(ge.Endpoint):
			return i18n.M("graph.intuneUnavailable", format.RetryIn(ge.RetryAfter))
		case ge.Status == http.StatusServiceUnavailable:
			return i18n.M("graph.directoryUnavailable", format.RetryIn(ge.RetryAfter))
		case ge.Status >= 500:
			return i18n.M("graph.failed")
		case ge.Status == http.StatusBadRequest:
			return i18n.M("graph.malformed")
		}
		return i18n.M("graph.status", ge.Status)
	case errors.As(err, &te) && errors.Is(err, context.DeadlineExceeded):
		return i18n.M("graph.timeout")
	case errors.As(err, &te):
		return i18n.M("graph.unreachable")
	case errors.Is(err, graph.ErrInvalidID):
		return i18n.M("graph.invalidID")
	}
	return i18n.M("graph.callFailed")
}

// graphProblem is explain for reads: what could not be done (a message
// such as "read.device"), why, and Graph's request-id for support.
func graphProblem(err error, what string) i18n.Text {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.RequestID != "" {
		return i18n.M("graph.problemWithID", i18n.M(what), explain(err), ge.RequestID)
	}
	return i18n.M("graph.problem", i18n.M(what), explain(err))
}

// readFailure turns a failed Graph read into the page that says so: 404,
// or failureStatus's; what is the message that says what could not be read.
func readFailure(c echo.Context, err error, what string) error {
	noteError(c, err)
	if graph.IsNotFound(err) {
		return notFound(i18n.M("graph.notFound"), "")
	}
	return echo.NewHTTPError(failureStatus(c, err), graphProblem(err, what)).SetInternal(err)
}

// failureStatus is the status of a page Graph could not be read for, which
// heads the page: 503 with Retry-After when the read budget is spent
// (Intune was not asked) or Graph is throttling or unavailable; 403 when
// Graph refused the technician, which trying again will not mend; 504 when
// Graph did not answer in time; else 502.
func failureStatus(c echo.Context, err error) int {
	var busy *readbudget.Busy
	var ge *graph.Error
	var te *graph.TransportError
	switch {
	case errors.As(err, &busy):
		return unavailableFor(c, busy.RetryAfter)
	case errors.As(err, &ge) && (ge.Status == http.StatusTooManyRequests || ge.Status == http.StatusServiceUnavailable):
		return unavailableFor(c, ge.RetryAfter)
	case refusedTechnician(err):
		return http.StatusForbidden
	case errors.As(err, &te) && errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// unavailableFor answers 503, saying when to try again if that is known.
func unavailableFor(c echo.Context, wait time.Duration) int {
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	return http.StatusServiceUnavailable
}

// refusedTechnician says Graph refused the technician (403): a missing
// Intune role or licence, which trying again does not mend.
func refusedTechnician(err error) bool {
	var ge *graph.Error
	return errors.As(err, &ge) && ge.Status == http.StatusForbidden
}

// retryURL is where a page part Graph could not be read for tries again:
// the page read fresh, or "" when trying again cannot help.
func retryURL(c echo.Context, err error) string {
	if refusedTechnician(err) {
		return ""
	}
	return refreshURL(c)
}
