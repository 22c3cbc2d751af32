package web

import (
	"context"
	"errors"
	"net/http"

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
