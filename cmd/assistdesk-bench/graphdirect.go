package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/graph"
)

// graphToken gets an access token for the Graph simulator as person (the
// local part of a demo UPN) through the provider's code flow, as the
// portal does, but as graphClientID: the portal's own tokens stay sealed
// in its database.
func graphToken(env *environment, person string) (string, error) {
	c := newBrowser(http.DefaultTransport)
	var disco struct {
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
	}
	if err := getJSON(c, env.issuer+"/.well-known/openid-configuration", &disco); err != nil {
		return "", err
	}
	verifier := rand.Text() // the provider requires PKCE
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id": {graphClientID}, "redirect_uri": {graphRedirectURI}, "response_type": {"code"},
		"scope": {"openid " + strings.Join(config.GraphScopes, " ")}, "state": {"bench"}, "nonce": {"bench"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"},
	}
	resp, err := c.Get(disco.Authorize + "?" + q.Encode())
	for hops := 0; err == nil && resp.StatusCode != http.StatusOK && hops < 5; hops++ {
		resp.Body.Close()
		resp, err = follow(c, resp)
	}
	if err != nil {
		return "", fmt.Errorf("graph token: authorize: %w", err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	form := doc.Find("form[action='/picker']")
	button := form.Find("button[data-testid='pick-" + person + "']")
	if button.Length() != 1 {
		return "", fmt.Errorf("graph token: the picker has no button for %s", person)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		values.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
	resp, err = c.PostForm(env.issuer+"/picker", values)
	for hops := 0; err == nil && hops < 5; hops++ {
		resp.Body.Close()
		loc, locErr := resp.Location()
		if locErr != nil {
			return "", fmt.Errorf("graph token: status %d without a redirect", resp.StatusCode)
		}
		if strings.HasPrefix(loc.String(), graphRedirectURI) {
			return redeem(c, disco.Token, env.graphSecret, loc.Query().Get("code"), verifier)
		}
		resp, err = c.Get(loc.String())
	}
	return "", fmt.Errorf("graph token: no code (%v)", err)
}

// follow fetches a redirect's target.
func follow(c *http.Client, resp *http.Response) (*http.Response, error) {
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("status %d without a redirect", resp.StatusCode)
	}
	return c.Get(loc.String())
}

// redeem trades a code for an access token (client_secret_basic).
func redeem(c *http.Client, endpoint, secret, code, verifier string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {graphRedirectURI}, "code_verifier": {verifier}}
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(graphClientID, secret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(c, req, &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("graph token: redeem the code: %v", err)
	}
	return tok.AccessToken, nil
}

func getJSON(c *http.Client, u string, v any) error {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return doJSON(c, req, v)
}

func doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", req.Method, req.URL, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// graphFlow is the Graph calls of one portal page: chains that run at
// once, each a sequence of requests (a collection's pages, which follow
// one another's nextLink).
type graphFlow [][]*http.Request

// recordFlow runs the portal's own Graph client (internal/graph) once per
// chain against the simulator and keeps the requests it sent, so that the
// replay sends exactly the portal's requests, skip tokens included (the
// simulator's are deterministic for a query).
func recordFlow(graphURL, token string, chains ...func(ctx context.Context, c *graph.Client, token string) error) (graphFlow, error) {
	var flow graphFlow
	for _, chain := range chains {
		rec := &recorder{next: http.DefaultTransport}
		c, err := graph.New(graphURL, &http.Client{Transport: rec}, 30*time.Second)
		if err != nil {
			return nil, err
		}
		if err := chain(context.Background(), c, token); err != nil {
			return nil, fmt.Errorf("record the Graph calls: %w", err)
		}
		flow = append(flow, rec.requests)
	}
	return flow, nil
}

func (f graphFlow) calls() int {
	n := 0
	for _, chain := range f {
		n += len(chain)
	}
	return n
}

// replay sends the flow's chains at once and waits for all; every answer
// must be 200, and is read whole but not decoded. It returns how long each
// chain took.
func (f graphFlow) replay(c *http.Client) ([]time.Duration, error) {
	took := make([]time.Duration, len(f))
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, chain := range f {
		wg.Go(func() {
			t0 := time.Now()
			for _, r := range chain {
				req, _ := http.NewRequest(r.Method, r.URL.String(), nil)
				req.Header = r.Header.Clone()
				if errs[i] = send(c, req); errs[i] != nil {
					return
				}
			}
			took[i] = time.Since(t0)
		})
	}
	wg.Wait()
	return took, errors.Join(errs...)
}

func send(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s: status %d", req.Method, req.URL, resp.StatusCode)
	}
	return err
}

// recorder is a transport that keeps a copy of every request it sends.
type recorder struct {
	next     http.RoundTripper
	requests []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.requests = append(r.requests, req.Clone(context.Background()))
	return r.next.RoundTrip(req)
}

// userPageDevices is how many devices the user page asks for without
// ?show: 50 shown, and one more to know there are more (web/users.go).
const userPageDevices = 51

// replayUserPages sends the Graph calls of the benchmark user pages, as
// the portal's client records them, straight to the simulator in shape s
// (the technicians' concurrency and think time), and returns the latency
// of each replayed page's slowest call, sorted.
//
// The page makes its two calls at once and cannot answer before the later
// one, so the slowest call of each page is its floor; its p50 is the
// denominator of the target. (The p50 of the slower endpoint alone would
// be a little lower: it ignores that either call can be the late one.)
func replayUserPages(ctx context.Context, o options, env *environment, s shape) ([]time.Duration, error) {
	token, err := graphToken(env, technicians[0])
	if err != nil {
		return nil, err
	}
	flows := make([]graphFlow, len(userPages))
	for i, page := range userPages {
		upn := strings.TrimPrefix(page, "/users/")
		flows[i], err = recordFlow(env.graphURL, token,
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.User(ctx, tok, upn)
				return err
			},
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.UserDevices(ctx, tok, upn, userPageDevices)
				return err
			})
		if err != nil {
			return nil, err
		}
		if flows[i].calls() != 2 {
			return nil, fmt.Errorf("setup: %s took %d Graph calls to record, want 2", page, flows[i].calls())
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4 * s.workers
	defer transport.CloseIdleConnections()
	direct := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	slowest := func(_, k int) (time.Duration, error) {
		took, err := flows[k%len(flows)].replay(direct)
		return slices.Max(took), err
	}
	closedLoopFunc(ctx, shape{s.workers, o.warmup, s.think}, slowest)
	return loopResult(closedLoopFunc(ctx, s, slowest), "the user pages' replayed Graph calls")
}
