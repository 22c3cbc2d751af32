package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/assistdesk/assistdesk/internal/config"
)

// composeFile is the part of compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image string
		Build *struct {
			Context, Dockerfile string
		}
		Environment map[string]string
		Secrets     []string
		Healthcheck *struct {
			Test []string
		}
	}
	Networks map[string]struct {
		Ipam struct {
			Config []struct{ Subnet string }
		}
	}
	Secrets map[string]struct{ File string }
}

// No Docker engine runs where this project is tested, so compose.yaml is
// checked by reading it: the services are there, both portals share the
// database and the token key, they are built from the Dockerfile and probe
// themselves, and their environment is one that `serve` accepts.
func TestComposeExampleIsConsistent(t *testing.T) {
	raw, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postgres", "portal-1", "portal-2", "proxy"} {
		if _, ok := f.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
	}
	one, two := f.Services["portal-1"], f.Services["portal-2"]
	for _, k := range []string{"ASSISTDESK_DATABASE_URL", "ASSISTDESK_TOKEN_KEY_FILE"} {
		if one.Environment[k] == "" || one.Environment[k] != two.Environment[k] {
			t.Errorf("the portals differ in %s: %q and %q", k, one.Environment[k], two.Environment[k])
		}
	}
	if !strings.HasPrefix(one.Environment["ASSISTDESK_DATABASE_URL"], "postgres://") {
		t.Error("the portals do not share a PostgreSQL database")
	}
	if one.Environment["ASSISTDESK_INSTANCE_NAME"] == two.Environment["ASSISTDESK_INSTANCE_NAME"] {
		t.Error("both portals have the same instance name in the audit trail")
	}
	for _, name := range []string{"portal-1", "portal-2"} {
		svc := f.Services[name]
		if svc.Build == nil || svc.Build.Context != "." || svc.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s is not built from the repository's Dockerfile: %+v", name, svc.Build)
		}
		if svc.Healthcheck == nil || !slices.Equal(svc.Healthcheck.Test, []string{"CMD", "/assistdesk", "healthcheck"}) {
			t.Errorf("%s's healthcheck is not `/assistdesk healthcheck`", name)
		}
		checkServeAccepts(t, name, svc.Environment, svc.Secrets, f)
	}
	proxies := one.Environment["ASSISTDESK_TRUSTED_PROXIES"]
	if len(f.Networks["portal"].Ipam.Config) == 0 || proxies != f.Networks["portal"].Ipam.Config[0].Subnet {
		t.Errorf("ASSISTDESK_TRUSTED_PROXIES %q is not the compose network's subnet", proxies)
	}

	known := map[string]bool{}
	for _, v := range config.Variables {
		known[v.Name] = true
	}
	for _, name := range regexp.MustCompile(`ASSISTDESK_[A-Z0-9_]+`).FindAllString(string(raw), -1) {
		if !known[name] && !known[strings.TrimSuffix(name, "_FILE")] {
			t.Errorf("compose.yaml uses %s, which is not a setting", name)
		}
	}
}

// checkServeAccepts loads the service's environment through config.Load,
// with ${…} filled in and the /run/secrets files stood in for, so a
// misspelt value fails here rather than at `docker compose up`.
func checkServeAccepts(t *testing.T, name string, env map[string]string, secrets []string, f composeFile) {
	t.Helper()
	dir := t.TempDir()
	fill := regexp.MustCompile(`\$\{[A-Z_]+[^}]*\}`)
	values := map[string]string{}
	for k, v := range env {
		v = fill.ReplaceAllString(v, "example")
		if secret, ok := strings.CutPrefix(v, "/run/secrets/"); ok {
			if _, defined := f.Secrets[secret]; !defined || !slices.Contains(secrets, secret) {
				t.Errorf("%s: %s names secret %s, which is not mounted", name, k, secret)
			}
			v = filepath.Join(dir, secret)
			if err := os.WriteFile(v, []byte("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		values[k] = v
	}
	cfg, err := config.Load(func(k string) string { return values[k] })
	if err != nil {
		t.Fatalf("%s: serve would refuse this environment: %v", name, err)
	}
	if len(cfg.TrustedProxies) != 1 || !cfg.TrustedProxies[0].Contains(netip.MustParseAddr("172.30.0.10")) {
		t.Errorf("%s: trusted proxies %v", name, cfg.TrustedProxies)
	}
}

// The image is built with the very `go build` line CI runs, and the README
// shows that line: the container is the binary the tests passed.
func TestDockerfileBuildsAsCIDoes(t *testing.T) {
	buildLine := regexp.MustCompile(`CGO_ENABLED=0 go build (.*) -o (?:"[^"]*"|\S+) (\./cmd/assistdesk)`)
	lineOf := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := buildLine.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("%s has no CGO_ENABLED=0 go build … ./cmd/assistdesk line", path)
		}
		return m[1] + " " + m[2]
	}
	want := lineOf("../../Dockerfile")
	for _, path := range []string{"../../.ci/run", "../../README.md"} {
		if got := lineOf(path); got != want {
			t.Errorf("%s builds with %q, the Dockerfile with %q", path, got, want)
		}
	}
}

// The proxy sends traffic to every portal service on its port, takes
// unready instances out by /readyz, and keeps /metrics off the internet.
func TestCaddyfileProxiesToThePortals(t *testing.T) {
	b, err := os.ReadFile("../../deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	caddy := string(b)
	for _, want := range []string{"portal-1:8080", "portal-2:8080", "health_uri /readyz", "respond @metrics 404"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("deploy/Caddyfile lacks %q", want)
		}
	}
}
