package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/pgtest"
)

const benchClientID = "assistdesk-bench"

// graphClientID is a second client of the provider, through which the
// bench gets a Graph token of its own to call the simulator directly. Its
// redirect URI is never served: the bench reads the code off the redirect.
const (
	graphClientID    = "assistdesk-bench-graph"
	graphRedirectURI = "http://127.0.0.1/bench-graph-token"
)

// system is what an environment runs: the Graph simulator's tenant and
// faults, and the portal instances on one database.
type system struct {
	tenant     string        // graphsim -tenant
	latency    time.Duration // graphsim -latency
	writeLimit int           // graphsim -write-limit, writes per 20 s; none when 0
	readLimit  int           // graphsim -read-limit, Intune requests per 20 s; none when 0
	// instances of the portal on one database; 0 is one.
	instances int
	// technicians: the provider knows at least this many bench
	// technicians (tech0001, tech0002, …), each a person of their own.
	technicians int
	// postgres puts the database on a throwaway PostgreSQL cluster rather
	// than in a SQLite file.
	postgres  bool
	portalEnv map[string]string // added to every instance's environment
}

// environment is the running system under test.
type environment struct {
	dir      string
	portal   string // URL of the first instance, the one every phase but the burst uses
	portalP  *child
	others   []string // URLs of the other instances
	othersP  []*child
	graphsim *child
	idp      *http.Server
	cluster  *pgtest.Cluster // when the system asks for PostgreSQL
	pin      pinning         // how the processes are pinned, for the floor

	issuer      string        // the demo OpenID provider
	graphURL    string        // the simulator's root
	graphSecret string        // of graphClientID
	simReady    time.Duration // from starting the simulator until it listened
}

// server is a process under load: where it listens, and the process
// whose CPU is read.
type server struct {
	url string
	p   *child
}

// portalServer is the first instance.
func (env *environment) portalServer() server { return server{env.portal, env.portalP} }

// portals are the URLs of the instances.
func (env *environment) portals() []string {
	return append([]string{env.portal}, env.others...)
}

// startEnvironment starts the demo OpenID provider in this process, the
// Graph simulator and the portal instances as child processes, and waits
// until the portals are ready.
func startEnvironment(ctx context.Context, o options, pin pinning, sys system, stdout io.Writer) (env *environment, err error) {
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
	env = &environment{dir: dir, pin: pin}
	defer func() {
		if err != nil {
			env.close(true, stdout)
		}
	}()

	portalAddrs := make([]string, max(1, sys.instances))
	var callbacks, signedOut []string
	for i := range portalAddrs {
		if portalAddrs[i], err = freeAddr(); err != nil {
			return env, err
		}
		callbacks = append(callbacks, "http://"+portalAddrs[i]+"/auth/callback")
		signedOut = append(signedOut, "http://"+portalAddrs[i]+"/login?signed_out=1")
	}
	graphAddr, err := freeAddr()
	if err != nil {
		return env, err
	}
	env.portal = "http://" + portalAddrs[0]

	// The provider: the demo's people and the bench's technicians, one
	// client (the portal, at every instance's address).
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
			RedirectURIs:           callbacks,
			PostLogoutRedirectURIs: signedOut,
		}, {
			ID:           graphClientID,
			Secret:       env.graphSecret,
			RedirectURIs: []string{graphRedirectURI},
		}},
		People: append(devidp.DemoPeople(), benchPeople(max(o.clients, o.largeClients, sys.technicians))...),
	})
	if err != nil {
		idpLn.Close()
		return env, err
	}
	env.idp = &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go env.idp.Serve(idpLn)

	simArgs := []string{bin, "graphsim", "-addr", graphAddr, "-issuer", issuer, "-tenant", sys.tenant, "-latency", sys.latency.String()}
	if sys.writeLimit > 0 {
		simArgs = append(simArgs, "-write-limit", fmt.Sprintf("%d/20s", sys.writeLimit))
	}
	if sys.readLimit > 0 {
		simArgs = append(simArgs, "-read-limit", fmt.Sprintf("%d/20s", sys.readLimit))
	}
	simCmd := pin.command(1, simArgs...)
	simStart := time.Now()
	env.graphsim, err = start("graphsim", simCmd, filepath.Join(dir, "graphsim-"+sys.tenant+".log"))
	if err != nil {
		return env, err
	}
	if err := waitListening(env.graphsim, graphAddr, time.Minute); err != nil {
		return env, err
	}
	env.simReady = time.Since(simStart)

	databaseURL := "sqlite:" + filepath.Join(dir, "assistdesk.db")
	if sys.postgres {
		// Started from this process, so on its CPU (1), beside the
		// simulator, as a database on a host of its own would not be.
		if env.cluster, err = pgtest.StartCluster(); err != nil {
			return env, fmt.Errorf("PostgreSQL for the portal (or -database and -burst-database sqlite): %w", err)
		}
		if databaseURL, err = env.cluster.Database(); err != nil {
			return env, err
		}
	}

	key := make([]byte, 32)
	rand.Read(key)
	portalEnv := map[string]string{
		"ASSISTDESK_OIDC_ISSUER":        issuer,
		"ASSISTDESK_OIDC_CLIENT_ID":     benchClientID,
		"ASSISTDESK_OIDC_CLIENT_SECRET": secret,
		"ASSISTDESK_GRAPH_URL":          env.graphURL,
		"ASSISTDESK_DATABASE_URL":       databaseURL,
		"ASSISTDESK_TOKEN_KEY":          base64.StdEncoding.EncodeToString(key),
		"ASSISTDESK_ALLOWED_ROLES":      devidp.RoleTechnician,
		"ASSISTDESK_AUDITOR_ROLES":      devidp.RoleAuditor,
		"ASSISTDESK_LOG_FORMAT":         "json",
		"ASSISTDESK_LOG_LEVEL":          o.logLevel,
		// Every sign-in comes from 127.0.0.1, and one technician sends
		// many requests: the per-IP and per-technician limits would
		// measure themselves rather than the portal.
		"ASSISTDESK_SIGNIN_RATE_LIMIT": "1000000",
		"ASSISTDESK_ASSIST_RATE_LIMIT": "1000000",
	}
	maps.Copy(portalEnv, sys.portalEnv)
	// One after the other: the first migrates the database.
	for i, addr := range portalAddrs {
		name := "portal"
		if i > 0 {
			name = fmt.Sprintf("portal%d", i+1)
		}
		p, err := startPortal(ctx, pin, bin, name, addr, portalEnv, filepath.Join(dir, name+".log"))
		if i == 0 {
			env.portalP = p
		} else if p != nil {
			env.others, env.othersP = append(env.others, "http://"+addr), append(env.othersP, p)
		}
		if err != nil {
			return env, err
		}
	}
	return env, nil
}

// startPortal starts `assistdesk serve` named name on addr, configured
// through the environment as in production, and waits until it is ready.
func startPortal(ctx context.Context, pin pinning, bin, name, addr string, common map[string]string, logPath string) (*child, error) {
	cmd := pin.command(0, bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"ASSISTDESK_LISTEN_ADDR=" + addr, "ASSISTDESK_PUBLIC_URL=http://" + addr, "ASSISTDESK_INSTANCE_NAME=bench-" + name}
	for k, v := range common {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p, err := start(name, cmd, logPath)
	if err != nil {
		return nil, err
	}
	return p, waitFor(ctx, p, "http://"+addr+"/readyz", http.StatusOK, 30*time.Second)
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
	for _, p := range env.othersP {
		p.stop()
	}
	env.portalP.stop()
	env.graphsim.stop()
	if env.cluster != nil {
		if err := env.cluster.Stop(); err != nil {
			fmt.Fprintln(stdout, "stopping PostgreSQL:", err)
		}
	}
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
