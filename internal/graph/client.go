// Package graph is a small typed Microsoft Graph client: the dozen calls
// the portal makes, over net/http, with Graph's paging, headers and error
// shape handled explicitly. It knows nothing of sessions: every call is
// handed the technician's access token.
package graph

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// maxBody caps what is read from Graph: a page of 1,000 devices with the
	// selected properties is well under it.
	maxBody = 8 << 20
	// maxPages bounds how far a collection is followed.
	maxPages = 50
)

// Client calls Microsoft Graph (or the simulator) at one root URL.
type Client struct {
	root    *url.URL
	http    *http.Client
	timeout time.Duration
	// observer is never nil (nopObserver by default), so call sites,
	// retries included, report without checking.
	observer Observer
	// gate, when set, admits every read of Intune's devices service.
	gate ReadGate
}

// ReadGate admits reads of Intune's devices service, which limits them per
// app and tenant; an error is returned instead of the read, which is not
// sent.
type ReadGate interface {
	Admit(ctx context.Context) error
}

// Observer is told about the client's calls, for metrics. endpoint is the
// call's pattern ("GET /users/{id}"), never a URL: ids do not belong in a
// metric label.
type Observer interface {
	// Call reports a finished call: the HTTP status (0 when no answer came)
	// and how long it took, reading the body included.
	Call(endpoint string, status int, d time.Duration)
	// Retry reports that a call is about to be sent again after an answer
	// of status (0 when no answer came).
	Retry(endpoint string, status int)
}

type nopObserver struct{}

func (nopObserver) Call(string, int, time.Duration) {}
func (nopObserver) Retry(string, int)               {}

// Option configures a Client.
type Option func(*Client)

// WithObserver reports every call to o; a nil o reports nowhere.
func WithObserver(o Observer) Option {
	return func(c *Client) {
		if o != nil {
			c.observer = o
		}
	}
}

// WithReadGate sends a read of Intune only once g admits it.
func WithReadGate(g ReadGate) Option {
	return func(c *Client) { c.gate = g }
}

// New returns a client for the Graph root (https://graph.microsoft.com).
// timeout bounds every single call, retries included.
func New(root string, httpClient *http.Client, timeout time.Duration, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(root, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("graph: root %q is not an absolute http(s) URL", root)
	}
	c := &Client{root: u, http: httpClient, timeout: timeout, observer: nopObserver{}}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// Timeout is how long one call may take.
func (c *Client) Timeout() time.Duration { return c.timeout }

// IsIntune reports whether Intune answers for an endpoint (devices,
// scripts and their actions); the directory answers for users.
func IsIntune(endpoint string) bool {
	return strings.Contains(endpoint, "deviceManagement") || strings.Contains(endpoint, "managedDevices") ||
		strings.Contains(endpoint, "requestRemoteAssistance")
}

// request is one call: a method, a path under the root (already escaped),
// and a query whose values are escaped here.
type request struct {
	method   string
	endpoint string // for errors and logs, e.g. "GET /users/{id}"
	path     string
	query    [][2]string
	eventual bool // $search and other advanced queries need ConsistencyLevel: eventual
}

func (r request) url(root *url.URL) string {
	var b strings.Builder
	b.WriteString(root.String())
	b.WriteString(r.path)
	for i, kv := range r.query {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		// Graph wants %20, not '+', for spaces; '$' in the key stays literal.
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(kv[1]), "+", "%20"))
	}
	return b.String()
}

// Response is the part of a Graph response kept for the record.
type Response struct {
	Status          int
	RequestID       string
	ClientRequestID string
	Date            string
}

// do sends one HTTP request and returns the body of a 2xx response, or a
// *Error for anything else.
func (c *Client) do(ctx context.Context, token string, r request, rawURL string) ([]byte, Response, error) {
	if c.gate != nil && r.method == http.MethodGet && IsIntune(r.endpoint) {
		if err := c.gate.Admit(ctx); err != nil {
			return nil, Response{}, fmt.Errorf("graph: %s: %w", r.endpoint, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, rawURL, nil)
	if err != nil {
		return nil, Response{}, fmt.Errorf("graph: %s: %w", r.endpoint, err)
	}
	clientRequestID := newGUID()
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("client-request-id", clientRequestID)
	req.Header.Set("return-client-request-id", "true")
	// A technician is waiting for every call the portal makes.
	req.Header.Set("x-ms-throttle-priority", "high")
	if r.eventual {
		req.Header.Set("ConsistencyLevel", "eventual")
	}
	started := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.observer.Call(r.endpoint, 0, time.Since(started))
		return nil, Response{ClientRequestID: clientRequestID}, &TransportError{Endpoint: r.endpoint, ClientRequestID: clientRequestID, Err: err}
	}
	defer resp.Body.Close()
	meta := Response{
		Status:          resp.StatusCode,
		RequestID:       resp.Header.Get("request-id"),
		ClientRequestID: clientRequestID,
		Date:            resp.Header.Get("Date"),
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	// A body cut off mid-read still had its status: that is what Graph said.
	c.observer.Call(r.endpoint, resp.StatusCode, time.Since(started))
	if err != nil {
		return nil, meta, &TransportError{Endpoint: r.endpoint, ClientRequestID: clientRequestID, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, meta, decodeError(r.endpoint, resp, body, clientRequestID)
	}
	if len(body) > maxBody {
		return nil, meta, fmt.Errorf("graph: %s: response larger than %d bytes", r.endpoint, maxBody)
	}
	return body, meta, nil
}

// getJSON fetches one object.
func (c *Client) getJSON(ctx context.Context, token string, r request, v any) error {
	body, _, err := c.do(ctx, token, r, r.url(c.root))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("graph: %s: decode: %w", r.endpoint, err)
	}
	return nil
}

// page is one page of a Graph collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// getAll follows @odata.nextLink to the end of a collection. The next link
// is used whole (it carries Graph's own skip token) but only to the
// configured Graph host, so a tampered response cannot send the
// technician's token elsewhere. It does not carry ConsistencyLevel, so the
// header goes on every page.
func getAll[T any](ctx context.Context, c *Client, token string, r request, limit int) ([]T, error) {
	var all []T
	next := r.url(c.root)
	for range maxPages {
		body, _, err := c.do(ctx, token, r, next)
		if err != nil {
			return nil, err
		}
		var p page[T]
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("graph: %s: decode: %w", r.endpoint, err)
		}
		all = append(all, p.Value...)
		if p.NextLink == "" || (limit > 0 && len(all) >= limit) {
			if limit > 0 && len(all) > limit {
				all = all[:limit]
			}
			return all, nil
		}
		if err := c.sameHost(p.NextLink); err != nil {
			return nil, fmt.Errorf("graph: %s: %w", r.endpoint, err)
		}
		next = p.NextLink
	}
	return nil, fmt.Errorf("graph: %s: more than %d pages", r.endpoint, maxPages)
}

// ErrForeignNextLink is returned when Graph's next link points elsewhere.
var ErrForeignNextLink = errors.New("refusing @odata.nextLink to a host other than the configured Graph root")

func (c *Client) sameHost(link string) error {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != c.root.Scheme || u.Host != c.root.Host || u.User != nil {
		return ErrForeignNextLink
	}
	return nil
}

// newGUID makes a random (version 4) GUID for client-request-id.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
