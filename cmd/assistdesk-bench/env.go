package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/devidp"
)

const benchClientID = "assistdesk-bench"

// graphClientID is a second client of the provider, through which the
// bench gets a Graph token of its own to call the simulator directly. Its
// redirect URI is never served: the bench reads the code off the redirect.
const (
	graphClientID    = "assistdesk-bench-graph"
	graphRedirectURI = "http://127.0.0.1/bench-graph-token"
)

// simulator is how the Graph simulator of an environment runs.
type simulator struct {
	tenant  string // graphsim -tenant
	latency time.Duration
}

// environment is the running system under test.
type environment struct {
	dir      string
	portal   string // URL
	portalP  *child
	graphsim *child
	idp      *http.Server

	issuer      string        // the demo OpenID provider
	graphURL    string        // the simulator's root
	graphSecret string        // of graphClientID
	simReady    time.Duration // from starting the simulator until it listened
}

// startEnvironment starts the demo OpenID provider in this process, the
// Graph simulator and the portal as child processes, and waits until the
// portal is ready.
func startEnvironment(ctx context.Context, o options, pin pinning, sim simulator, stdout io.Writer) (env *environment, err error) {
	bin, err := filepath.Abs(o.assistdesk)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the assistdesk binary: %w (build it, or name it with -assistdesk)", err)
	}
	dir, err := os.MkdirTemp("", "assistdesk-bench-")
	if err != nil {
		return nil, err
	}
	env = &environment{dir: dir}
	defer func() {
		if err != nil {
			env.close(true, stdout)
		}
	}()

	portalAddr, err := freeAddr()
	if err != nil {
		return env, err
	}
	graphAddr, err := freeAddr()
	if err != nil {
		return env, err
	}
	env.portal = "http://" + portalAddr

	// The provider: the demo's people, one client (the portal).
	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return env, err
	}
	issuer := "http://" + idpLn.Addr().String()
	secret := rand.Text()
	env.issuer, env.graphURL, env.graphSecret = issuer, "http://"+graphAddr, rand.Text()
	idp, err := devidp.New(devidp.Config{
		Issuer:        issuer,
		TenantID:      devidp.DemoTenantID(),
		GraphAudience: "https://graph.microsoft.com",
		Clients: []devidp.Client{{
			ID:                     benchClientID,
			Secret:                 secret,
			RedirectURIs:           []string{env.portal + "/auth/callback"},
			PostLogoutRedirectURIs: []string{env.portal + "/login?signed_out=1"},
		}, {
			ID:           graphClientID,
			Secret:       env.graphSecret,
			RedirectURIs: []string{graphRedirectURI},
		}},
		People: devidp.DemoPeople(),
	})
	if err != nil {
		idpLn.Close()
		return env, err
	}
	env.idp = &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go env.idp.Serve(idpLn)

	simStart := time.Now()
	env.graphsim, err = start("graphsim",
		pin.command(1, bin, "graphsim", "-addr", graphAddr, "-issuer", issuer, "-tenant", sim.tenant, "-latency", sim.latency.String()),
		filepath.Join(dir, "graphsim-"+sim.tenant+".log"))
	if err != nil {
		return env, err
	}
	if err := waitListening(env.graphsim, graphAddr, time.Minute); err != nil {
		return env, err
	}
	env.simReady = time.Since(simStart)

	key := make([]byte, 32)
	rand.Read(key)
	portalEnv := map[string]string{
		"ASSISTDESK_LISTEN_ADDR":        portalAddr,
		"ASSISTDESK_PUBLIC_URL":         env.portal,
		"ASSISTDESK_OIDC_ISSUER":        issuer,
		"ASSISTDESK_OIDC_CLIENT_ID":     benchClientID,
		"ASSISTDESK_OIDC_CLIENT_SECRET": secret,
		"ASSISTDESK_GRAPH_URL":          env.graphURL,
		"ASSISTDESK_DATABASE_URL":       "sqlite:" + filepath.Join(dir, "assistdesk.db"),
		"ASSISTDESK_TOKEN_KEY":          base64.StdEncoding.EncodeToString(key),
		"ASSISTDESK_ALLOWED_ROLES":      devidp.RoleTechnician,
		"ASSISTDESK_AUDITOR_ROLES":      devidp.RoleAuditor,
		"ASSISTDESK_INSTANCE_NAME":      "bench",
		"ASSISTDESK_LOG_FORMAT":         "json",
		"ASSISTDESK_LOG_LEVEL":          o.logLevel,
		// Every sign-in comes from 127.0.0.1, and one technician sends
		// many requests: the per-IP and per-technician limits would
		// measure themselves rather than the portal.
		"ASSISTDESK_SIGNIN_RATE_LIMIT": "1000000",
		"ASSISTDESK_ASSIST_RATE_LIMIT": "1000000",
	}
	cmd := pin.command(0, bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, v := range portalEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	env.portalP, err = start("portal", cmd, filepath.Join(dir, "portal.log"))
	if err != nil {
		return env, err
	}
	if err := waitFor(ctx, env.portalP, env.portal+"/readyz", http.StatusOK, 30*time.Second); err != nil {
		return env, err
	}
	return env, nil
}

// waitListening waits until addr accepts connections.
func waitListening(c *child, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := c.exited(); err != nil {
			return err
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: nothing listens on %s after %s; log %s:\n%s", c.name, addr, timeout, c.log, tail(c.log, 2000))
}

// close stops what startEnvironment started and removes the working
// directory unless keep.
func (env *environment) close(keep bool, stdout io.Writer) {
	env.portalP.stop()
	env.graphsim.stop()
	if env.idp != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		env.idp.Shutdown(ctx)
		cancel()
	}
	if keep {
		fmt.Fprintf(stdout, "logs and database kept in %s\n", env.dir)
		return
	}
	os.RemoveAll(env.dir)
}

// describeMachine is the line BENCHMARKS.md records: CPUs, CPU model, Go
// version, date.
func describeMachine() string {
	cpus, model := 0, "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "processor":
				cpus++
			case "model name":
				model = strings.TrimSpace(v)
			}
		}
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s %s/%s, %s", cpus, model, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}
