package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/webhook"
)

// TicketWebhook is where the portal tells ticket systems what became of
// the requests made from their tickets; nil when write-back is off.
type TicketWebhook struct {
	URL          *url.URL
	Secrets      [][]byte // the first is named first in every signature
	AllowPrivate bool
	Timeout      time.Duration
}

// ticketWebhook reads the write-back settings: none without a URL; with
// one, at least one whsec_ secret, and https to a public receiver unless
// private receivers are allowed by name.
func (r *reader) ticketWebhook() *TicketWebhook {
	const name = "ASSISTDESK_TICKET_WEBHOOK_URL"
	allowPrivate := r.boolean("ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE")
	timeout := r.duration("ASSISTDESK_TICKET_WEBHOOK_TIMEOUT", 10*time.Second)
	raw := strings.TrimSpace(r.getenv(name))
	secrets, secretsSet := r.optionalSecret("ASSISTDESK_TICKET_WEBHOOK_SECRET")
	if raw == "" {
		if secretsSet {
			r.fail("ASSISTDESK_TICKET_WEBHOOK_SECRET", "is set, but %s is not: set both, or neither", name)
		}
		return nil
	}
	u, err := url.Parse(raw)
	// The URL is not echoed: a receiver's token often travels in it.
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		r.fail(name, "must be an absolute http(s) URL")
		return nil
	case u.User != nil || u.Fragment != "":
		r.fail(name, "must not carry credentials (user:password@) or a fragment")
		return nil
	case u.Scheme == "http" && !allowPrivate:
		r.fail(name, "must use https (ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE=true allows http, for a receiver inside the network)")
		return nil
	}
	w := &TicketWebhook{URL: u, AllowPrivate: allowPrivate, Timeout: timeout}
	if !secretsSet {
		r.fail("ASSISTDESK_TICKET_WEBHOOK_SECRET", "is required with %s (or ASSISTDESK_TICKET_WEBHOOK_SECRET_FILE): one or more whsec_ secrets, space-separated", name)
		return nil
	}
	for _, s := range strings.Fields(secrets) {
		key, err := webhook.ParseSecret(s)
		if err != nil {
			r.fail("ASSISTDESK_TICKET_WEBHOOK_SECRET", "%v", err) // names the rule, never the secret
			return nil
		}
		w.Secrets = append(w.Secrets, key)
	}
	return w
}
