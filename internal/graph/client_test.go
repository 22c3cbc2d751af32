package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a stand-in Graph whose answers each test writes; it records
// the headers of every request.
type scripted struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	urls    []string
}

func newScripted(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*scripted, *Client) {
	t.Helper()
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.urls = append(s.urls, r.URL.String())
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	c, err := New(s.URL, s.Client(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestSearchExpressionEscapesQuotesAndBackslashes(t *testing.T) {
	got := SearchExpression(`o"neil\x`)
	want := `"displayName:o\"neil\\x" OR "mail:o\"neil\\x" OR "userPrincipalName:o\"neil\\x"`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestEveryCallCarriesGraphHeadersAndEveryPageConsistencyLevel(t *testing.T) {
	var srv *scripted
	srv, c := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") == "" {
			fmt.Fprintf(w, `{"value":[{"id":"1"}],"@odata.nextLink":"%s/v1.0/users?$skiptoken=abc"}`, srv.URL)
			return
		}
		fmt.Fprint(w, `{"value":[{"id":"2"}]}`)
	})
	users, err := c.SearchUsers(context.Background(), "tok", "ada lovelace", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("got %d users across two pages, want 2", len(users))
	}
	if !strings.Contains(srv.urls[0], "$search=%22displayName%3Aada%20lovelace%22%20OR%20") {
		t.Errorf("search not quoted and percent-encoded: %s", srv.urls[0])
	}
	seen := map[string]bool{}
	for i, h := range srv.headers {
		if h.Get("Authorization") != "Bearer tok" || h.Get("Accept") != "application/json" {
			t.Errorf("call %d: Authorization %q Accept %q", i, h.Get("Authorization"), h.Get("Accept"))
		}
		if h.Get("ConsistencyLevel") != "eventual" {
			t.Errorf("call %d has no ConsistencyLevel: eventual", i)
		}
		id := h.Get("client-request-id")
		if !IsGUID(id) || seen[id] {
			t.Errorf("call %d: client-request-id %q is not a fresh GUID", i, id)
		}
		seen[id] = true
	}
}

func TestForeignNextLinkIsNotFollowed(t *testing.T) {
	calls := 0
	_, c := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		fmt.Fprint(w, `{"value":[{"id":"d1"}],"@odata.nextLink":"https://evil.example/beta/users/x/managedDevices?$skiptoken=1"}`)
	})
	_, err := c.UserDevices(context.Background(), "tok", "00000000-0000-0000-0000-000000000001", 0)
	if !errors.Is(err, ErrForeignNextLink) {
		t.Fatalf("err = %v, want ErrForeignNextLink", err)
	}
	if calls != 1 {
		t.Fatalf("%d calls, want 1", calls)
	}
}

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		header     map[string]string
		code, rid  string
		retryAfter time.Duration
	}{
		{"nested innerError", 404, `{"error":{"code":"ResourceNotFound","message":"gone","innerError":{"date":"2026-11-28T10:00:00","request-id":"outer","innerError":{"request-id":"inner-rid","date":"2026-11-28T10:00:01"}}}}`,
			nil, "ResourceNotFound", "inner-rid", 0},
		{"throttled", 429, `{"error":{"code":"TooManyRequests","message":"slow down","innerError":{"request-id":"r429"}}}`,
			map[string]string{"Retry-After": "7"}, "TooManyRequests", "r429", 7 * time.Second},
		{"Intune's wrapped error", 503, `{"error":{"code":"UnknownError","message":"{\"Message\":\"busy\",\"CustomApiErrorPhrase\":\"TooManyWrites\",\"RetryAfter\":12,\"ErrorSourceService\":\"DeviceFE\"}","innerError":{"request-id":"rid-u"}}}`,
			nil, "UnknownError/TooManyWrites", "rid-u", 12 * time.Second},
		{"Intune's wrapped error, TimeSpan", 429, `{"error":{"code":"UnknownError","message":"{\"Message\":\"slow\",\"RetryAfter\":\"00:01:05\"}","innerError":{"request-id":"rid-t"}}}`,
			nil, "UnknownError", "rid-t", 65 * time.Second},
		{"html from a proxy", 502, `<html><body>Bad gateway</body></html>`, map[string]string{"request-id": "hdr-rid"}, "", "hdr-rid", 0},
		{"huge body", 500, strings.Repeat("x", 10<<20), nil, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := c.Device(context.Background(), "tok", "00000000-0000-0000-0000-000000000001")
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *graph.Error", err)
			}
			if ge.Status != tt.status || ge.Code != tt.code || ge.RequestID != tt.rid || ge.RetryAfter != tt.retryAfter {
				t.Fatalf("got status %d code %q rid %q retry %s", ge.Status, ge.Code, ge.RequestID, ge.RetryAfter)
			}
			if !IsGUID(ge.ClientRequestID) {
				t.Errorf("client-request-id %q", ge.ClientRequestID)
			}
			if len(ge.Message) > 400 {
				t.Errorf("kept %d bytes of an unreadable body", len(ge.Message))
			}
		})
	}
}

func TestRoutingRefusalIsRecognisedByItsMessage(t *testing.T) {
	for msg, want := range map[string]bool{
		"No method match route template":                        true,
		"No OData route exists that match template ~/singleton": true,
		"Resource not found for the segment 'x'.":               false,
	} {
		err := &Error{Status: 400, Code: "BadRequest", Message: msg}
		if IsRoutingRefusal(err) != want {
			t.Errorf("%q: IsRoutingRefusal = %v", msg, !want)
		}
	}
	if IsRoutingRefusal(&Error{Status: 404, Message: "No method match route template"}) {
		t.Error("a 404 is not a routing refusal")
	}
}

func TestTimeoutIsATransportError(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	t.Cleanup(func() { close(block); srv.Close() })
	c, _ := New(srv.URL, srv.Client(), 100*time.Millisecond)
	_, err := c.RequestRemoteAssistance(context.Background(), "tok", DeviceRoute("00000000-0000-0000-0000-000000000001"))
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a TransportError for the deadline", err)
	}
}

func TestInvalidIDsNeverReachGraph(t *testing.T) {
	calls := 0
	_, c := newScripted(t, func(w http.ResponseWriter, r *http.Request) { calls++ })
	ctx := context.Background()
	bad := []func() error{
		func() error { _, err := c.Device(ctx, "t", "../users"); return err },
		func() error { _, err := c.User(ctx, "t", "a/b@contoso.example"); return err },
		func() error { _, err := c.UserDevices(ctx, "t", "", 0); return err },
		func() error { _, err := c.SearchUsers(ctx, "t", "ad\x00ele", 5); return err },
		func() error {
			_, err := c.RequestRemoteAssistance(ctx, "t", Route{Number: 4, ScriptID: "x"})
			return err
		},
	}
	for i, f := range bad {
		if err := f(); !errors.Is(err, ErrInvalidID) {
			t.Errorf("case %d: err = %v, want ErrInvalidID", i, err)
		}
	}
	if calls != 0 {
		t.Fatalf("%d calls reached Graph", calls)
	}
}
