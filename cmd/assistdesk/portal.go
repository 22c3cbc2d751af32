package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readbudget"
	"github.com/assistdesk/assistdesk/internal/readcache"
	"github.com/assistdesk/assistdesk/internal/store"
	"github.com/assistdesk/assistdesk/internal/webhook"
	"github.com/assistdesk/assistdesk/internal/writebudget"
	"github.com/assistdesk/assistdesk/web"
)

// readCacheBytes bounds the technicians' cached Graph reads on one
// instance: a phone call's pages are some tens of kilobytes, so 16 MiB
// holds the calls in progress of several hundred technicians.
const readCacheBytes = 16 << 20

// portal is one running instance: its HTTP handler and what it holds open.
type portal struct {
	handler http.Handler
	db      *store.DB
}

// Close releases the database.
func (p *portal) Close() error { return p.db.Close() }

// newPortal builds every dependency of the HTTP layer and starts the
// instance's housekeeping, which stops with ctx. Discovery and migrations
// happen here, so a wrong issuer or database stops the start instead of
// failing every request.
func newPortal(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*portal, error) {
	providerClient := &http.Client{Timeout: 15 * time.Second}
	rp, err := auth.NewRelyingParty(ctx, auth.RelyingPartyConfig{
		Issuer:       cfg.OIDCIssuer,
		ClientID:     cfg.OIDCClientID,
		ClientSecret: cfg.OIDCClientSecret,
		RedirectURL:  cfg.RedirectURL(),
		Scopes:       cfg.OIDCScopes,
		HTTPClient:   providerClient,
	})
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	// Open has just brought the schema to the newest version this binary
	// knows (or refused a newer one), so this is the version to stay at.
	schema, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	vault, err := auth.NewVault(db, cfg.TokenKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	metrics := web.NewMetrics(web.ActiveSessions(db), logger)
	graphClient, err := graph.New(cfg.GraphURL, newGraphHTTPClient(), graphTimeout, graph.WithObserver(metrics),
		graph.WithReadGate(readbudget.New(db, cfg.ReadBudget, readbudget.Window, time.Now)))
	if err != nil {
		db.Close()
		return nil, err
	}
	sessionStore := db.Sessions()
	sessions := newSessions(cfg, sessionStore)
	trail := audit.New(db, cfg.InstanceName, time.Now)
	if w := cfg.TicketWebhook; w != nil {
		// Outcomes write their ticket events from now on; any instance
		// delivers them.
		trail.WriteTicketEvents()
		metrics.WatchTicketEvents(trail.EventsPending)
		deliverer := webhook.New(webhook.Config{URL: w.URL, Secrets: w.Secrets, AllowPrivate: w.AllowPrivate, Timeout: w.Timeout},
			trail, logger, metrics)
		go deliverer.Run(ctx)
	}
	// A pending attempt older than this was left by an instance that died
	// between its two writes: no request waits that long for Graph.
	staleAfter := cfg.MaxWait + graphTimeout + 30*time.Second
	go trail.Run(ctx, time.Minute, staleAfter, cfg.AuditRetention, logger)
	policy := auth.Policy{
		TechnicianRoles:  cfg.AllowedRoles,
		TechnicianGroups: cfg.AllowedGroups,
		AuditorRoles:     cfg.AuditorRoles,
		AuditorGroups:    cfg.AuditorGroups,
		AllowAnyUser:     cfg.AllowAnyUser,
	}
	go every(ctx, 5*time.Minute, func() {
		if _, err := sessionStore.Prune(ctx); err != nil {
			logger.Error("prune expired sessions", slog.Any("error", err))
		}
	})
	go every(ctx, time.Hour, func() {
		if n, err := vault.Prune(ctx, cfg.SessionMaxAge); err != nil {
			logger.Error("prune Graph tokens", slog.Any("error", err))
		} else if n > 0 {
			logger.Info("pruned Graph tokens of ended sessions", slog.Int64("rows", n))
		}
	})
	// The key that signs the device facts in request forms comes from the
	// token key, which every instance already shares, and is a key of its own.
	formKey, err := hkdf.Key(sha256.New, cfg.TokenKey, nil, "assistdesk form facts", 32)
	if err != nil {
		db.Close()
		return nil, err
	}
	var reads *readcache.Cache
	if cfg.ReadCache > 0 {
		reads = readcache.New(cfg.ReadCache, readCacheBytes, time.Now)
	}
	handler := web.New(web.Deps{
		Auth:         auth.NewService(rp, sessions, vault, policy, cfg.SessionIdleTimeout),
		Sessions:     sessions,
		PublicURL:    cfg.PublicURL,
		IssuerURL:    cfg.OIDCIssuer,
		Graph:        graphClient,
		Audit:        trail,
		Budget:       writebudget.New(db, cfg.WriteBudget, writebudget.Window, time.Now),
		MaxWait:      cfg.MaxWait,
		GraphTimeout: graphTimeout,
		Logger:       logger,

		TrustedProxies:  cfg.TrustedProxies,
		AssistRateLimit: cfg.AssistRateLimit,
		SignInRateLimit: cfg.SignInRateLimit,

		Metrics:      metrics,
		MetricsToken: cfg.MetricsToken,
		FormKey:      formKey,
		ReadCache:    reads,
		Ready: []web.ReadyCheck{
			web.DatabaseReady(db, schema),
			{Name: "identity provider", Check: (&providerKeys{issuer: cfg.OIDCIssuer, client: providerClient}).check},
		},
	})
	return &portal{handler: handler, db: db}, nil
}

// every runs f each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// providerKeys is the readiness of the identity provider: discovery
// succeeded before the portal was built, and sign-in needs its signing keys
// too, which the relying party fetches only when the first ID token
// arrives. So readiness fetches the key set itself until it has seen one
// RSA key; after that it stays met (the relying party follows rotations),
// so a provider outage never takes signed-in technicians out of rotation.
type providerKeys struct {
	issuer string
	client *http.Client

	mu     sync.Mutex
	loaded bool
}

func (p *providerKeys) check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loaded {
		return nil
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.issuer)
	if err != nil {
		return fmt.Errorf("readiness: discover %s: %w", p.issuer, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil {
		return fmt.Errorf("readiness: read discovery document: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc.JWKSURI, nil)
	if err != nil {
		return fmt.Errorf("readiness: key set: %w", err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("readiness: fetch the key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readiness: the key set at %s answered %s", doc.JWKSURI, resp.Status)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("readiness: decode the key set at %s: %w", doc.JWKSURI, err)
	}
	for _, k := range set.Keys {
		if k.Kty == "RSA" {
			p.loaded = true
			return nil
		}
	}
	return fmt.Errorf("readiness: the key set at %s holds no RSA key", doc.JWKSURI)
}
