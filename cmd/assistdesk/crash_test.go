package main

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/internal/store"
)

// crashSite is what an instance that will be killed runs against: a
// PostgreSQL database, the demo's identity provider, and Graph behind
// graph (the simulator, with whatever fault a test puts in front of it).
// Every instance it starts listens on the same address, one after another.
type crashSite struct {
	bin, dbURL, issuer, graphURL, publicURL string
	tokenKey                                string
	sim                                     *graphsim.Server
}

func newCrashSite(t *testing.T, graph func(sim http.Handler) http.Handler) *crashSite {
	t.Helper()
	s := &crashSite{dbURL: pgtest.Start(t), bin: buildBinary(t), publicURL: "http://" + freeAddr(t),
		tokenKey: base64.StdEncoding.EncodeToString(randomBytes(32))}
	idpSrv := httptest.NewUnstartedServer(nil)
	s.issuer = "http://" + idpSrv.Listener.Addr().String()
	idp, err := devidp.New(devidp.Config{
		Issuer: s.issuer, TenantID: devidp.DemoTenantID(),
		Clients: []devidp.Client{{ID: "crash-test", Secret: "s", RedirectURIs: []string{s.publicURL + "/auth/callback"}}},
		People:  devidp.DemoPeople(),
	})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv.Config.Handler = idp.Handler()
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)

	graphLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.graphURL = "http://" + graphLn.Addr().String()
	if s.sim, err = graphsim.New(graphsim.Config{BaseURL: s.graphURL, Issuer: s.issuer}); err != nil {
		t.Fatal(err)
	}
	graphSrv := &httptest.Server{Listener: graphLn, Config: &http.Server{Handler: graph(s.sim.Handler())}}
	graphSrv.Start()
	t.Cleanup(graphSrv.Close)
	return s
}

// start runs `assistdesk serve` as the named instance, with extra
// settings, and waits until it is healthy.
func (s *crashSite) start(t *testing.T, name string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(os.Environ(),
		"ASSISTDESK_LISTEN_ADDR="+strings.TrimPrefix(s.publicURL, "http://"), "ASSISTDESK_PUBLIC_URL="+s.publicURL,
		"ASSISTDESK_OIDC_ISSUER="+s.issuer, "ASSISTDESK_OIDC_CLIENT_ID=crash-test", "ASSISTDESK_OIDC_CLIENT_SECRET=s",
		"ASSISTDESK_GRAPH_URL="+s.graphURL, "ASSISTDESK_DATABASE_URL="+s.dbURL, "ASSISTDESK_TOKEN_KEY="+s.tokenKey,
		"ASSISTDESK_ALLOWED_ROLES="+devidp.RoleTechnician, "ASSISTDESK_INSTANCE_NAME="+name, "ASSISTDESK_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, extra...)
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, logs.String())
		}
	})
	waitHealthy(t, s.publicURL)
	return cmd
}

// request signs Harper in and, in the background, requests assistance on
// device from its page, with the ticket.
func (s *crashSite) request(t *testing.T, device, ticket string) {
	t.Helper()
	c := signintest.Browser(t)
	signintest.SignIn(t, c, s.publicURL, "/", "harper")
	token := signintest.CSRFToken(t, c, s.publicURL)
	path := "/devices/" + device + "/assistance?ticket=" + ticket
	form := signintest.RequestForm(t, c, s.publicURL, "/devices/"+device+"?ticket="+ticket, path)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.publicURL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", token)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
}

func (s *crashSite) kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// An instance killed between writing the pending row and hearing from
// Graph leaves that row behind; another instance marks it unknown. The
// request is never lost from the trail.
func TestKilledInstanceLeavesAnUnknownAttemptNotAHole(t *testing.T) {
	arrived := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	// Graph that never answers the action: the instance dies waiting.
	site := newCrashSite(t, func(sim http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				once.Do(func() { close(arrived) })
				<-release
				return
			}
			sim.ServeHTTP(w, r)
		})
	})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	doomed := site.start(t, "doomed")
	device := site.sim.Tenant().Devices[0]
	site.request(t, device.ID, "INC-1")
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the assistance request never reached Graph")
	}
	site.kill(t, doomed)

	db, err := store.Open(context.Background(), site.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	trail := audit.New(db, "survivor", time.Now)
	rows, _, err := trail.List(context.Background(), audit.Filter{Device: device.ID}, audit.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Outcome != audit.Pending || rows[0].Instance != "doomed" {
		t.Fatalf("after the kill the trail holds %+v, want the doomed instance's pending attempt", rows)
	}
	if n, err := trail.MarkStale(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("MarkStale: %d rows, %v", n, err)
	}
	a, err := trail.Get(context.Background(), rows[0].ID)
	if err != nil || a.Outcome != audit.Unknown {
		t.Fatalf("the orphaned attempt is %+v, %v; want unknown", a, err)
	}
}

// An instance killed while it delivers a ticket event (the outcome is
// recorded, the receiver has not answered) leaves the event to be
// delivered, with the same webhook-id, once the instance is back.
func TestKilledInstanceDeliversItsTicketEventAfterRestart(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	verifier, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		received []string // webhook-ids, one per delivery that verified
		first    = make(chan struct{})
		release  = make(chan struct{})
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if verifier.Verify(body, r.Header) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		received = append(received, r.Header.Get("webhook-id"))
		n := len(received)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release // the instance dies before this delivery is answered
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	t.Cleanup(func() { close(release) }) // before the receiver closes: cleanups run last first
	site := newCrashSite(t, func(sim http.Handler) http.Handler { return sim })
	webhook := []string{"ASSISTDESK_TICKET_WEBHOOK_URL=" + receiver.URL, "ASSISTDESK_TICKET_WEBHOOK_SECRET=" + secret,
		"ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE=true", "ASSISTDESK_TICKET_WEBHOOK_TIMEOUT=1s"}
	doomed := site.start(t, "doomed", webhook...)
	site.request(t, site.sim.Tenant().Devices[0].ID, "INC-2")
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("the ticket event never reached the receiver")
	}
	site.kill(t, doomed)

	site.start(t, "restarted", webhook...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := slices.Clone(received)
		mu.Unlock()
		if len(got) >= 2 {
			if got[1] != got[0] {
				t.Fatalf("after the restart the receiver got %s, want %s again", got[1], got[0])
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the event was not delivered after the restart")
}

// buildBinary builds assistdesk as CI and the Dockerfile do.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "assistdesk")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", base)
}
