// Package webhook tells a ticket system what became of the requests for
// assistance made from its tickets: it delivers the audit trail's ticket
// events as Standard Webhooks (standardwebhooks.com), signed with the
// configured secrets, at least once, and retries for a bounded time.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
)

// SecretPrefix begins every secret, as Standard Webhooks writes them.
const SecretPrefix = "whsec_"

// ParseSecret reads a whsec_ secret: the prefix, then base64 of at least
// 24 random bytes (the specification asks for 24 to 64).
func ParseSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook: a secret begins with %s", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook: a secret is %s and base64: %w", SecretPrefix, err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook: a secret holds 24 to 64 bytes, this one %d", len(key))
	}
	return key, nil
}

// Signature is the webhook-signature header for a message: one "v1,"
// signature per secret, in order, space-separated, so that a receiver
// holding any one of them verifies it while secrets are rotated.
func Signature(secrets [][]byte, id string, at time.Time, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, key := range secrets {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
		m.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return strings.Join(sigs, " ")
}

// outbox is where the events wait: the audit trail.
type outbox interface {
	TakeEvents(ctx context.Context, limit int, lease time.Duration) ([]audit.PendingEvent, error)
	EventDelivered(ctx context.Context, id string, status int) error
	EventRetry(ctx context.Context, id string, status int, reason string, next time.Time) error
	EventFailed(ctx context.Context, id string, status int, reason string) error
}
