package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/ratelimit"
)

type brokenTrail struct{}

func (brokenTrail) Begin(context.Context, audit.Attempt, time.Duration, string) (audit.Attempt, error) {
	return audit.Attempt{}, errors.New("disk full")
}
func (brokenTrail) Refuse(context.Context, audit.Attempt, string) (audit.Attempt, error) {
	return audit.Attempt{}, nil
}
func (brokenTrail) Complete(context.Context, string, audit.Completion) error { return nil }
func (brokenTrail) SetProgress(context.Context, string, string, time.Time) error {
	return nil
}
func (brokenTrail) ClearProgress(context.Context, string) error { return nil }
func (brokenTrail) ProgressOf(context.Context, string) (audit.Progress, int, bool, error) {
	return audit.Progress{}, 0, false, nil
}

type countingGraph struct{ calls int }

func (g *countingGraph) RequestRemoteAssistance(context.Context, string, graph.Route) (graph.Response, error) {
	g.calls++
	return graph.Response{Status: 204}, nil
}

type staticToken struct{}

func (staticToken) GraphToken(context.Context) (string, error)              { return "t", nil }
func (staticToken) RenewGraphToken(context.Context, string) (string, error) { return "t2", nil }

func TestNoGraphCallWithoutThePendingRow(t *testing.T) {
	g := &countingGraph{}
	key := newFactsKey(make([]byte, 32))
	h := &assistanceHandler{graph: g, tokens: staticToken{}, trail: brokenTrail{}, now: time.Now, facts: key,
		limit: ratelimit.New(30, time.Now), clientIP: func(echo.Context) string { return "127.0.0.1" }}
	e := echo.New()
	rec := httptest.NewRecorder()
	form := url.Values{}
	for _, f := range key.fields(deviceFacts{DeviceID: "6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d", Name: "PC-1"}) {
		form.Set(f.Name, f.Value)
	}
	req := httptest.NewRequest(http.MethodPost, "/devices/6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d/assistance", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := e.NewContext(req, rec)
	c.SetParamNames("deviceId")
	c.SetParamValues("6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d")
	c.Set(technicianKey, auth.Technician{Subject: "s", Issuer: "i"})
	err := h.viaDevice(c)
	var he *echo.HTTPError
	if !errors.As(err, &he) || he.Code != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want a 503 saying nothing was sent", err)
	}
	if g.calls != 0 {
		t.Fatalf("Graph was called %d times without a pending audit row", g.calls)
	}
}
