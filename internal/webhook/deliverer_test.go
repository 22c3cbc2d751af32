package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a test clock shared by the trail and the deliverer.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// secret is a whsec_ secret from fixed bytes.
func secret(b byte) string {
	key := make([]byte, 32)
	for i := range key {
		key[i] = b
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

func keys(t *testing.T, secrets ...string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, s := range secrets {
		k, err := ParseSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// receiver is a ticket system's endpoint: it verifies each delivery with
// the Standard Webhooks library, holding secrets, and answers what
// answer says for the n-th delivery of each webhook-id.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	verified map[string]int // deliveries per webhook-id whose signature verified
	bodies   map[string][]byte
	refused  int
}

func newReceiver(t *testing.T, secrets []string, answer func(w http.ResponseWriter, id string, n int)) *receiver {
	t.Helper()
	var verifiers []*standardwebhooks.Webhook
	for _, s := range secrets {
		v, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		verifiers = append(verifiers, v)
	}
	r := &receiver{verified: map[string]int{}, bodies: map[string][]byte{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		ok := false
		for _, v := range verifiers {
			ok = ok || v.Verify(body, req.Header) == nil
		}
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		if !ok {
			r.refused++
			r.mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.verified[id]++
		r.bodies[id] = body
		n := r.verified[id]
		r.mu.Unlock()
		answer(w, id, n)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.verified {
		out[k] = v
	}
	return out, r.refused
}

func ok(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusNoContent) }

// env is a trail that writes ticket events, on SQLite unless url is given,
// and a deliverer of them to rec, both on c's time.
type env struct {
	trail *audit.Trail
	d     *Deliverer
	clock *clock
}

func newEnv(t *testing.T, databaseURL string, rec *receiver, secrets [][]byte) *env {
	t.Helper()
	if databaseURL == "" {
		databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	}
	db, err := store.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{now: time.Now().UTC().Truncate(time.Millisecond)}
	trail := audit.New(db, "instance-a", c.Now)
	trail.WriteTicketEvents()
	u, _ := url.Parse(rec.URL)
	d := New(Config{URL: u, Secrets: secrets, AllowPrivate: true, Timeout: time.Second}, trail, slog.New(slog.DiscardHandler), nil)
	d.now = c.Now
	return &env{trail: trail, d: d, clock: c}
}

// event writes one ticketed outcome and returns its attempt id.
func (e *env) event(t *testing.T, device string) string {
	t.Helper()
	a, err := e.trail.Refuse(context.Background(), audit.Attempt{
		TechnicianUPN: "harper@contoso.example", TechnicianName: "Harper Helpdesk", TechnicianKey: "tech-harper",
		DeviceID: device, DeviceName: "PC-" + device, Route: 2, Ticket: "INC-7",
	}, audit.ReasonRateLimit)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func (e *env) state(t *testing.T, attemptID string) audit.TicketDelivery {
	t.Helper()
	a, err := e.trail.Get(context.Background(), attemptID)
	if err != nil {
		t.Fatal(err)
	}
	return a.TicketDelivery
}

// A receiver holding either secret verifies every event, with the
// specification's own library: while secrets rotate, both sign.
func TestEventsVerifyWithTheSpecificationsLibraryDuringRotation(t *testing.T) {
	newer, older := secret(1), secret(2)
	for name, held := range map[string][]string{"the new secret": {newer}, "the old secret": {older}, "both": {older, newer}} {
		t.Run(name, func(t *testing.T) {
			rec := newReceiver(t, held, ok)
			e := newEnv(t, "", rec, keys(t, newer, older))
			id := e.event(t, "dev-1")
			if n := e.d.round(context.Background()); n != 1 {
				t.Fatalf("%d events taken", n)
			}
			got, refused := rec.deliveries()
			if len(got) != 1 || refused != 0 || e.state(t, id).State != "delivered" {
				t.Fatalf("verified %v, refused %d, state %+v", got, refused, e.state(t, id))
			}
			for _, body := range rec.bodies {
				var ev audit.Event
				if err := json.Unmarshal(body, &ev); err != nil || ev.Type != audit.EventRefused || ev.Data.AttemptID != id || ev.Data.Ticket != "INC-7" {
					t.Fatalf("the body %s (%v)", body, err)
				}
			}
		})
	}
	// A receiver with neither refuses it, and the event is not delivered.
	rec := newReceiver(t, []string{secret(3)}, ok)
	e := newEnv(t, "", rec, keys(t, newer))
	id := e.event(t, "dev-1")
	e.d.round(context.Background())
	if _, refused := rec.deliveries(); refused != 1 || e.state(t, id).State == "delivered" {
		t.Fatalf("a receiver without the secret: refused %d, state %+v", refused, e.state(t, id))
	}
}

// A 500 is retried, after a backoff, with the same webhook-id, so that a
// receiver can tell a retry from a new event.
func TestRetriesKeepTheWebhookID(t *testing.T) {
	rec := newReceiver(t, []string{secret(1)}, func(w http.ResponseWriter, _ string, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	e := newEnv(t, "", rec, keys(t, secret(1)))
	id := e.event(t, "dev-1")
	e.d.round(context.Background())
	if s := e.state(t, id); s.State != "pending" {
		t.Fatalf("after a 500: %+v", s)
	}
	if n := e.d.round(context.Background()); n != 0 {
		t.Fatalf("retried at once (%d), before its backoff", n)
	}
	e.clock.Advance(firstRetry)
	e.d.round(context.Background())
	got, _ := rec.deliveries()
	if len(got) != 1 || e.state(t, id).State != "delivered" {
		t.Fatalf("deliveries by webhook-id %v, state %+v; want one id twice", got, e.state(t, id))
	}
	for _, n := range got {
		if n != 2 {
			t.Fatalf("the webhook-id came %d times, want 2", n)
		}
	}
}

// A receiver's refusal (a 4xx other than 408 and 429, or a redirect, which
// is not followed) ends the event: it is recorded as failed, with the
// receiver's status, and never sent again.
func TestRefusalsAreFailedNotRetried(t *testing.T) {
	elsewhere := newReceiver(t, []string{secret(1)}, ok)
	for _, status := range []int{http.StatusBadRequest, http.StatusGone, http.StatusFound} {
		rec := newReceiver(t, []string{secret(1)}, func(w http.ResponseWriter, _ string, _ int) {
			w.Header().Set("Location", elsewhere.URL)
			w.WriteHeader(status)
		})
		e := newEnv(t, "", rec, keys(t, secret(1)))
		id := e.event(t, "dev-1")
		e.d.round(context.Background())
		e.clock.Advance(2 * time.Hour)
		e.d.round(context.Background())
		got, _ := rec.deliveries()
		if s := e.state(t, id); s.State != "failed" || s.Status != status || len(got) != 1 {
			t.Errorf("HTTP %d: state %+v, deliveries %v", status, s, got)
		}
	}
	if got, _ := elsewhere.deliveries(); len(got) != 0 {
		t.Fatalf("a redirect was followed: %v", got)
	}
}

// A 429's Retry-After is honoured; an event that cannot be delivered is
// given up after GiveUpAfter.
func TestRetryAfterAndGivingUp(t *testing.T) {
	rec := newReceiver(t, []string{secret(1)}, func(w http.ResponseWriter, _ string, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	e := newEnv(t, "", rec, keys(t, secret(1)))
	id := e.event(t, "dev-1")
	e.d.round(context.Background())
	e.clock.Advance(119 * time.Second)
	if n := e.d.round(context.Background()); n != 0 {
		t.Fatal("retried before the receiver's Retry-After")
	}
	e.clock.Advance(2 * time.Second)
	if n := e.d.round(context.Background()); n != 1 {
		t.Fatal("not retried after the receiver's Retry-After")
	}
	for e.clock.Now().Before(e.clock.now.Add(GiveUpAfter + time.Hour)) {
		if s := e.state(t, id); s.State != "pending" {
			break
		}
		e.clock.Advance(lastRetry)
		e.d.round(context.Background())
	}
	if s := e.state(t, id); s.State != "failed" || s.Status != http.StatusServiceUnavailable {
		t.Fatalf("after a day of 503s: %+v", s)
	}
}

// A receiver that does not answer holds up nothing but its own delivery:
// outcomes go on being recorded at once.
func TestAHangingReceiverHoldsUpNoRequest(t *testing.T) {
	release := make(chan struct{})
	rec := newReceiver(t, []string{secret(1)}, func(w http.ResponseWriter, _ string, _ int) { <-release })
	defer close(release)
	e := newEnv(t, "", rec, keys(t, secret(1)))
	e.event(t, "dev-0")
	go e.d.round(context.Background())
	time.Sleep(100 * time.Millisecond) // the delivery is in flight
	for i := range 10 {
		start := time.Now()
		e.event(t, "dev-"+string(rune('a'+i)))
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("an outcome took %s to record while the receiver hung", took)
		}
	}
}

// Two instances on one PostgreSQL database deliver every event, each once.
func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	rec := newReceiver(t, []string{secret(1)}, ok)
	databaseURL := pgtest.Start(t)
	a := newEnv(t, databaseURL, rec, keys(t, secret(1)))
	b := newEnv(t, databaseURL, rec, keys(t, secret(1)))
	b.d.now, b.clock = a.clock.Now, a.clock
	const n = 200
	for i := range n {
		a.event(t, "dev-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	var wg sync.WaitGroup
	for _, d := range []*Deliverer{a.d, b.d, a.d, b.d} {
		wg.Go(func() {
			for d.round(context.Background()) > 0 {
			}
		})
	}
	wg.Wait()
	got, refused := rec.deliveries()
	if len(got) != n || refused != 0 {
		t.Fatalf("%d distinct events delivered (%d refused), want %d", len(got), refused, n)
	}
	for id, times := range got {
		if times != 1 {
			t.Fatalf("%s delivered %d times", id, times)
		}
	}
}

// Unless private receivers are allowed, a delivery connects only to a
// public address, checked on the address connected to.
func TestPrivateReceiversAreRefusedUnlessAllowed(t *testing.T) {
	rec := newReceiver(t, []string{secret(1)}, ok)
	e := newEnv(t, "", rec, keys(t, secret(1)))
	u, _ := url.Parse(rec.URL)
	e.d = New(Config{URL: u, Secrets: keys(t, secret(1)), Timeout: time.Second}, e.trail, slog.New(slog.DiscardHandler), nil)
	e.d.now = e.clock.Now
	id := e.event(t, "dev-1")
	e.d.round(context.Background())
	if got, _ := rec.deliveries(); len(got) != 0 || e.state(t, id).State != "pending" {
		t.Fatalf("a loopback receiver got %v", got)
	}
	for addr, public := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.0.0.5": false, "172.16.9.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "::1": false, "fd00::1": false,
		"fe80::1": false, "::ffff:10.0.0.1": false, "0.0.0.0": false, "224.0.0.1": false, "64:ff9b::a00:1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != public {
			t.Errorf("Public(%s) = %v", addr, got)
		}
	}
}
