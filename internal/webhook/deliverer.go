package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
)

// Config is where events go and how.
type Config struct {
	URL *url.URL
	// Secrets sign every message, the first first (Signature).
	Secrets [][]byte
	// AllowPrivate lets the receiver be on a private or loopback address,
	// and on plain http; otherwise it must be https on a public address,
	// checked when each connection is made.
	AllowPrivate bool
	// Timeout bounds one delivery, connection to answer.
	Timeout time.Duration
}

// Observer counts deliveries; web.Metrics is one.
type Observer interface {
	TicketEventDelivered(latency time.Duration)
	TicketEventRetried()
	TicketEventFailed()
}

// Delivery limits.
const (
	// GiveUpAfter is how long an event is retried before it is failed.
	GiveUpAfter = 24 * time.Hour
	// pollEvery is how soon an event written on any instance is sent.
	pollEvery = time.Second
	// batch events are taken at a time, and at most parallel are in flight.
	batch, parallel = 16, 4
	// maxAnswer bounds what is read of a receiver's answer.
	maxAnswer = 4 << 10
	// firstRetry doubles with each try, to at most lastRetry.
	firstRetry, lastRetry = 10 * time.Second, time.Hour
)

// Deliverer sends the outbox's events to the receiver.
type Deliverer struct {
	cfg      Config
	outbox   outbox
	client   *http.Client
	logger   *slog.Logger
	observer Observer
	now      func() time.Time // schedules retries; tests move it
}

// New returns a deliverer of outbox's events as cfg says.
func New(cfg Config, events outbox, logger *slog.Logger, observer Observer) *Deliverer {
	if observer == nil {
		observer = unobserved{}
	}
	return &Deliverer{cfg: cfg, outbox: events, client: newClient(cfg), logger: logger, observer: observer, now: time.Now}
}

// unobserved counts nothing.
type unobserved struct{}

func (unobserved) TicketEventDelivered(time.Duration) {}
func (unobserved) TicketEventRetried()                {}
func (unobserved) TicketEventFailed()                 {}

// Run delivers due events until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	for {
		if d.round(ctx) == batch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollEvery):
		}
	}
}

// round takes the events due and delivers them, a few at a time, and
// returns how many it took. An event is leased for longer than its
// delivery and the recording of it can take, so an instance that dies
// mid-delivery leaves it to another, or to itself after a restart.
func (d *Deliverer) round(ctx context.Context) int {
	events, err := d.outbox.TakeEvents(ctx, batch, 2*d.cfg.Timeout+2*time.Second)
	if err != nil && ctx.Err() == nil {
		d.logger.Error("take ticket events", slog.Any("error", err))
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, parallel)
	for _, e := range events {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			d.deliver(ctx, e)
		})
	}
	wg.Wait()
	return len(events)
}

// deliver sends one event and records what came of it: delivered on a
// 2xx; retried after a timeout, a 5xx, a 408 or a 429 (not before its
// Retry-After); failed on any other answer, or once retrying would pass
// GiveUpAfter.
func (d *Deliverer) deliver(ctx context.Context, e audit.PendingEvent) {
	status, retryAfter, err := d.send(ctx, e)
	// The outcome is recorded even when the instance is stopping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := d.logger.With(slog.String("webhook_id", e.ID), slog.String("event", e.Type), slog.String("attempt", e.AttemptID),
		slog.Int("try", e.Tries), slog.Int("status", status))
	retryable := err != nil || status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
	reason := "HTTP " + strconv.Itoa(status)
	if err != nil {
		reason = err.Error()
	}
	switch {
	case err == nil && status >= 200 && status < 300:
		if err := d.outbox.EventDelivered(ctx, e.ID, status); err != nil {
			log.Error("record a delivered ticket event", slog.Any("error", err))
		}
		d.observer.TicketEventDelivered(d.now().Sub(e.CreatedAt))
		log.Info("ticket event delivered")
	case retryable && d.now().Add(backoff(e.Tries, retryAfter)).Before(e.CreatedAt.Add(GiveUpAfter)):
		next := d.now().Add(backoff(e.Tries, retryAfter))
		if err := d.outbox.EventRetry(ctx, e.ID, status, reason, next); err != nil {
			log.Error("record a ticket event to retry", slog.Any("error", err))
		}
		d.observer.TicketEventRetried()
		log.Warn("ticket event not delivered; retrying", slog.String("reason", reason), slog.Time("next", next))
	default:
		if retryable {
			reason = "not delivered within " + GiveUpAfter.String() + "; last: " + reason
		} else if status >= 300 && status < 400 {
			reason += " (a redirect, which is not followed)"
		}
		if err := d.outbox.EventFailed(ctx, e.ID, status, reason); err != nil {
			log.Error("record a failed ticket event", slog.Any("error", err))
		}
		d.observer.TicketEventFailed()
		log.Warn("ticket event failed", slog.String("reason", reason))
	}
}

// send posts the event, signed, and returns the receiver's status and its
// Retry-After, or an error when no answer came.
func (d *Deliverer) send(ctx context.Context, e audit.PendingEvent) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.URL.String(), bytes.NewReader(e.Payload))
	if err != nil {
		return 0, 0, fmt.Errorf("webhook: request: %w", err)
	}
	// The wall clock's time: receivers check it against their own.
	at := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "assistdesk")
	req.Header.Set("webhook-id", e.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", Signature(d.cfg.Secrets, e.ID, at, e.Payload))
	resp, err := d.client.Do(req)
	if err != nil {
		var refused *refusedAddress
		if errors.As(err, &refused) {
			return 0, 0, refused
		}
		// The URL may carry a receiver's token: name the host only.
		return 0, 0, fmt.Errorf("webhook: no answer from %s: %w", d.cfg.URL.Host, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), at), nil
}

// backoff is the wait before the next try: the receiver's Retry-After
// when it gave one, else doubling from firstRetry to lastRetry with
// jitter, so that instances do not retry in step.
func backoff(tries int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	wait := min(firstRetry<<min(tries-1, 20), lastRetry)
	return wait/2 + rand.N(wait/2+1)
}

// retryAfter reads Retry-After as seconds or an HTTP date, 0 when absent.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
