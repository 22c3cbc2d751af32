package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/config"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/store"
	"github.com/assistdesk/assistdesk/web"
)

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
	rp, err := auth.NewRelyingParty(ctx, auth.RelyingPartyConfig{
		Issuer:       cfg.OIDCIssuer,
		ClientID:     cfg.OIDCClientID,
		ClientSecret: cfg.OIDCClientSecret,
		RedirectURL:  cfg.RedirectURL(),
		Scopes:       cfg.OIDCScopes,
		HTTPClient:   &http.Client{Timeout: 15 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	graphClient, err := graph.New(cfg.GraphURL, newGraphHTTPClient(), graphTimeout)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	vault, err := auth.NewVault(db, cfg.TokenKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	sessions := newSessions(cfg, db.SessionStore())
	trail := audit.New(db, cfg.InstanceName, time.Now)
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
	go every(ctx, time.Hour, func() {
		if n, err := vault.Prune(ctx, cfg.SessionMaxAge); err != nil {
			logger.Error("prune Graph tokens", slog.Any("error", err))
		} else if n > 0 {
			logger.Info("pruned Graph tokens of ended sessions", slog.Int64("rows", n))
		}
	})
	handler := web.New(web.Deps{
		Auth:      auth.NewService(rp, sessions, vault, policy),
		Sessions:  sessions,
		PublicURL: cfg.PublicURL,
		IssuerURL: cfg.OIDCIssuer,
		Graph:     graphClient,
		Audit:     trail,
		Logger:    logger,

		TrustedProxies:  cfg.TrustedProxies,
		AssistRateLimit: cfg.AssistRateLimit,
		SignInRateLimit: cfg.SignInRateLimit,
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
