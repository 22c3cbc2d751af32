package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/format"
)

// explain turns a failed Graph call into a sentence a technician can act
// on. Graph's own message is never shown: it is not written for end users.
func explain(err error) string {
	var ge *graph.Error
	var te *graph.TransportError
	switch {
	case errors.As(err, &ge):
		switch {
		case ge.Status == http.StatusUnauthorized:
			return "Microsoft Graph no longer accepts your sign-in. Sign out and sign in again, then retry."
		case ge.Status == http.StatusForbidden:
			return "You lack the Intune role or Graph permission for this, or the account has no Intune licence. Ask your Intune administrator."
		case ge.Status == http.StatusNotFound:
			return "Intune has no such object for you: it was deleted, or it is outside your scope tags."
		case ge.Status == http.StatusTooManyRequests:
			return "Microsoft Graph is throttling requests and did not carry this one out. Try again in " + retryIn(ge.RetryAfter) + "."
		case ge.Status == http.StatusServiceUnavailable:
			return serviceOf(ge.Endpoint) + " is temporarily unavailable. Try again in " + retryIn(ge.RetryAfter) + "."
		case ge.Status >= 500:
			return "Microsoft Graph failed to answer properly."
		case ge.Status == http.StatusBadRequest:
			return "Microsoft Graph refused the request as malformed. Tell your administrator, quoting the request-id."
		}
		return fmt.Sprintf("Microsoft Graph answered %d.", ge.Status)
	case errors.As(err, &te) && errors.Is(err, context.DeadlineExceeded):
		return "Microsoft Graph did not answer in time."
	case errors.As(err, &te):
		return "Microsoft Graph could not be reached."
	case errors.Is(err, graph.ErrInvalidID):
		return "That is not a valid id."
	}
	return "The call to Microsoft Graph failed."
}

// serviceOf is the service behind a Graph endpoint, as an administrator
// knows it: the directory answers for users, Intune for devices, scripts
// and their actions.
func serviceOf(endpoint string) string {
	if strings.Contains(endpoint, "deviceManagement") || strings.Contains(endpoint, "managedDevices") ||
		strings.Contains(endpoint, "requestRemoteAssistance") {
		return "Intune"
	}
	return "The directory (Microsoft Entra ID)"
}

// retryIn is a wait as the pages write it, "a minute" when Graph gave none.
func retryIn(d time.Duration) string {
	if d <= 0 {
		return "a minute"
	}
	return format.Seconds(d)
}

// graphProblem is explain for reads, naming what could not be done.
func graphProblem(err error, what string) string {
	msg := "Could not " + what + ". " + explain(err)
	var ge *graph.Error
	if errors.As(err, &ge) && ge.RequestID != "" {
		msg += " (request-id " + ge.RequestID + ")"
	}
	return msg
}
