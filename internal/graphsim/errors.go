package graphsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Graph's error codes come from two services: directory (`/users`) and
// Intune (`/deviceManagement`, a user's managedDevices). A client must
// branch on them, so the simulator uses each service's own spelling.
const (
	codeBadRequest        = "BadRequest"
	codeUnsupportedQuery  = "Request_UnsupportedQuery"
	codeRequestBadRequest = "Request_BadRequest"
	codeInvalidToken      = "InvalidAuthenticationToken"
	codeDirectoryDenied   = "Authorization_RequestDenied"
	codeForbidden         = "Forbidden"
	codeDirectoryNotFound = "Request_ResourceNotFound"
	codeNotFound          = "ResourceNotFound"
)

// wwwAuthenticate is the challenge Graph sends with every 401.
const wwwAuthenticate = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`

// successContentType is Graph's own, parameters included, so that a client
// comparing the header to "application/json" fails here as it would there.
const successContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

// newGUID makes a random version 4 GUID for request ids.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// apiError is an error answer: status, Graph code and message.
type apiError struct {
	status  int
	code    string
	message string
}

type errorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// writeError answers with Graph's error shape; the request-id headers are
// already set by the server, and innerError repeats them as Graph does.
func (c *call) writeError(e *apiError) {
	var body errorBody
	body.Error.Code = e.code
	body.Error.Message = e.message
	body.Error.InnerError.Date = c.s.now().UTC().Format("2006-01-02T15:04:05")
	body.Error.InnerError.RequestID = c.requestID
	body.Error.InnerError.ClientRequestID = c.clientRequestID
	if e.status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", wwwAuthenticate)
	}
	out, _ := marshal(body) // a struct of strings always marshals
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(e.status)
	_, _ = c.w.Write(out) // the client is gone if this fails
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
}

func unsupportedQuery(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeUnsupportedQuery, fmt.Sprintf(format, args...)}
}

func directoryNotFound(key string) *apiError {
	return &apiError{http.StatusNotFound, codeDirectoryNotFound,
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)}
}

// intuneNotFound wraps its message the way Intune does: a JSON document in a
// string, so a client that shows `message` verbatim shows what it would
// show against Graph.
func (c *call) intuneNotFound() *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, c.intuneMessage("An error has occurred", 0)}
}

func (c *call) intuneForbidden(scopes ...string) *apiError {
	text := "Application is not authorized to perform this operation. Application must have one of the following scopes: " + strings.Join(scopes, ", ")
	return &apiError{http.StatusForbidden, codeForbidden, c.intuneMessage(text, 0)}
}

// intuneMessage is Intune's error document; RetryAfter is null unless
// retryAfter (seconds) is positive.
func (c *call) intuneMessage(text string, retryAfter int) string {
	doc := struct {
		Version              int     `json:"_version"`
		Message              string  `json:"Message"`
		CustomAPIErrorPhrase string  `json:"CustomApiErrorPhrase"`
		RetryAfter           *string `json:"RetryAfter"`
		ErrorSourceService   string  `json:"ErrorSourceService"`
		HTTPHeaders          string  `json:"HttpHeaders"`
	}{
		Version: 3,
		Message: fmt.Sprintf("%s - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: %s - Url: %s",
			text, c.requestID, intuneURL(c)),
		HTTPHeaders: "{}",
	}
	if retryAfter > 0 {
		seconds := strconv.Itoa(retryAfter)
		doc.RetryAfter = &seconds
	}
	b, _ := json.MarshalIndent(doc, "", "  ") // plain fields always marshal
	return string(b)
}

// intuneURL is the address Intune's front end reports for a Graph path.
func intuneURL(c *call) string {
	return "https://fef.msua06.manage.microsoft.com" + intunePath(c) + "?api-version=5024-09-01"
}

// intunePath is a Graph path as Intune's own service sees it: under its
// service root and with OData key syntax where the route has a key.
func intunePath(c *call) string {
	var b strings.Builder
	b.WriteString("/DeviceFE/StatelessDeviceFEService")
	for i, s := range c.segs[1:] {
		if c.route != nil && c.route.pattern[i] == keySegment {
			fmt.Fprintf(&b, "('%s')", s)
			continue
		}
		b.WriteString("/" + s)
	}
	return b.String()
}
