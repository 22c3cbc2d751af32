package main

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/internal/store"
)

// An instance killed between writing the pending row and hearing from
// Graph leaves that row behind; another instance marks it unknown. The
// request is never lost from the trail.
func TestKilledInstanceLeavesAnUnknownAttemptNotAHole(t *testing.T) {
	dbURL := pgtest.Start(t)
	bin := buildBinary(t)

	portalAddr := freeAddr(t)
	publicURL := "http://" + portalAddr
	idpSrv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + idpSrv.Listener.Addr().String()
	idp, err := devidp.New(devidp.Config{
		Issuer: issuer, TenantID: devidp.DemoTenantID(),
		Clients: []devidp.Client{{ID: "crash-test", Secret: "s", RedirectURIs: []string{publicURL + "/auth/callback"}}},
		People:  devidp.DemoPeople(),
	})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv.Config.Handler = idp.Handler()
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)

	// Graph that never answers the action: the instance dies waiting.
	graphLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	graphURL := "http://" + graphLn.Addr().String()
	sim, err := graphsim.New(graphsim.Config{BaseURL: graphURL, Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	graphSrv := &httptest.Server{Listener: graphLn, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			once.Do(func() { close(arrived) })
			<-release
			return
		}
		sim.Handler().ServeHTTP(w, r)
	})}}
	graphSrv.Start()
	t.Cleanup(func() { close(release); graphSrv.Close() })

	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"ASSISTDESK_LISTEN_ADDR="+portalAddr, "ASSISTDESK_PUBLIC_URL="+publicURL,
		"ASSISTDESK_OIDC_ISSUER="+issuer, "ASSISTDESK_OIDC_CLIENT_ID=crash-test", "ASSISTDESK_OIDC_CLIENT_SECRET=s",
		"ASSISTDESK_GRAPH_URL="+graphURL, "ASSISTDESK_DATABASE_URL="+dbURL,
		"ASSISTDESK_TOKEN_KEY="+base64.StdEncoding.EncodeToString(randomBytes(32)),
		"ASSISTDESK_ALLOWED_ROLES="+devidp.RoleTechnician, "ASSISTDESK_INSTANCE_NAME=doomed", "ASSISTDESK_LOG_LEVEL=warn")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("instance log:\n%s", logs.String())
		}
	})
	waitHealthy(t, publicURL)

	c := signintest.Browser(t)
	signintest.SignIn(t, c, publicURL, "/", "harper")
	device := sim.Tenant().Devices[0]
	token := signintest.CSRFToken(t, c, publicURL)
	form := signintest.RequestForm(t, c, publicURL, "/devices/"+device.ID, "/devices/"+device.ID+"/assistance")
	go func() {
		req, _ := http.NewRequest(http.MethodPost, publicURL+"/devices/"+device.ID+"/assistance", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", token)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the assistance request never reached Graph")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	db, err := store.Open(context.Background(), dbURL)
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
