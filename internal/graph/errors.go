package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a non-2xx answer from Graph. Message is Graph's own text, meant
// for logs, never for a technician's screen.
type Error struct {
	Endpoint        string
	Status          int
	Code            string
	Message         string
	RequestID       string
	ClientRequestID string
	Date            string
	RetryAfter      time.Duration
	// ClaimsChallenge is set when a 401 carries WWW-Authenticate with
	// error="insufficient_claims" (Conditional Access, continuous access
	// evaluation): only a new sign-in, with the claims, can satisfy it.
	ClaimsChallenge bool
	// Claims is the challenge's claims value, base64 as Graph sent it.
	Claims string
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "no error code"
	}
	return fmt.Sprintf("graph: %s: %d %s (request-id %s)", e.Endpoint, e.Status, code, e.RequestID)
}

// TransportError is a call that got no HTTP answer: a timeout, a refused
// connection. For an action its outcome is unknown.
type TransportError struct {
	Endpoint        string
	ClientRequestID string
	Err             error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("graph: %s: %v", e.Endpoint, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// errorBody is Graph's error JSON; innerError can nest.
type errorBody struct {
	Error struct {
		Code       string      `json:"code"`
		Message    string      `json:"message"`
		InnerError *innerError `json:"innerError"`
	} `json:"error"`
}

type innerError struct {
	Code            string      `json:"code"`
	Date            string      `json:"date"`
	RequestID       string      `json:"request-id"`
	ClientRequestID string      `json:"client-request-id"`
	InnerError      *innerError `json:"innerError"`
}

// decodeError reads Graph's error body. A body that is not Graph's JSON
// (an HTML page from a proxy, say) still yields the status and headers.
func decodeError(endpoint string, resp *http.Response, body []byte, clientRequestID string) *Error {
	e := &Error{
		Endpoint:        endpoint,
		Status:          resp.StatusCode,
		RequestID:       resp.Header.Get("request-id"),
		ClientRequestID: clientRequestID,
		Date:            resp.Header.Get("Date"),
		RetryAfter:      retryAfter(resp.Header.Get("Retry-After")),
		ClaimsChallenge: strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_claims"`),
	}
	if e.ClaimsChallenge {
		e.Claims = challengeParam(resp.Header.Get("WWW-Authenticate"), "claims")
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
		// The deepest innerError holds the ids Graph's support asks for.
		for in := eb.Error.InnerError; in != nil; in = in.InnerError {
			if in.RequestID != "" {
				e.RequestID = in.RequestID
			}
			if in.Date != "" {
				e.Date = in.Date
			}
		}
		unwrapIntune(e)
	} else {
		e.Message = "unreadable error body: " + truncate(string(body), 200)
	}
	return e
}

// intuneMessage is what Intune puts, as a JSON string, in the message of
// an UnknownError: the real message and, when throttling, RetryAfter.
type intuneMessage struct {
	Message              string `json:"Message"`
	CustomAPIErrorPhrase string `json:"CustomApiErrorPhrase"`
	RetryAfter           any    `json:"RetryAfter"`
	ErrorSourceService   string `json:"ErrorSourceService"`
}

// unwrapIntune reads Intune's wrapped error: a retry time Intune gives only
// inside the message still counts, and its own phrase names the error
// better than "UnknownError".
func unwrapIntune(e *Error) {
	if e.Code != "UnknownError" {
		return
	}
	var m intuneMessage
	if json.Unmarshal([]byte(e.Message), &m) != nil {
		return
	}
	if m.CustomAPIErrorPhrase != "" && len(m.CustomAPIErrorPhrase) <= 64 {
		e.Code = "UnknownError/" + m.CustomAPIErrorPhrase
	}
	if e.RetryAfter == 0 {
		switch v := m.RetryAfter.(type) {
		case float64:
			e.RetryAfter = time.Duration(v) * time.Second
		case string:
			e.RetryAfter = retryAfter(v)
			// .NET TimeSpan text, as some Intune services write it.
			if t, err := time.Parse("15:04:05", v); e.RetryAfter == 0 && err == nil {
				e.RetryAfter = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
			}
		}
	}
}

func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// IsRoutingRefusal reports whether Graph refused the URL as a route (the
// "No method match route template" / "No OData route exists" 400s): the
// action was not executed, so another route for the same device is safe.
func IsRoutingRefusal(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return false
	}
	return strings.Contains(e.Message, "No method match route template") ||
		strings.Contains(e.Message, "No OData route exists")
}

// IsNotFound reports a 404 from Graph.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// IsInvalidToken reports Graph refusing the access token itself (401
// InvalidAuthenticationToken) without a claims challenge: a refreshed token
// may succeed. A challenge (insufficient_claims) needs a new sign-in.
func IsInvalidToken(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized && e.Code == "InvalidAuthenticationToken" && !e.ClaimsChallenge
}

// challengeParam reads one quoted parameter of a WWW-Authenticate header.
func challengeParam(header, name string) string {
	_, rest, ok := strings.Cut(header, name+`="`)
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value
}
