package auth

import (
	"sync"
	"time"
)

// maxCachedTokens bounds the cache; past it, expired entries go first and,
// if that is not enough, all of them (they are read again from the vault).
const maxCachedTokens = 10_000

// tokenCache keeps each session's current access token in memory, by
// vault id, so that a page view neither reads nor unseals the vault row.
// The vault stays the authority: a token Graph refuses, one near its
// expiry, and every refresh go through it. Serving a token another
// instance has just replaced is harmless, as the old one stays valid
// until it expires or Graph refuses it; and a session ended anywhere is
// gone from the database, which every request reads before it gets here.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	access string
	expiry time.Time // zero: the provider gave none
}

// fresh returns the cached token of id if it is valid past the given time.
func (c *tokenCache) fresh(id string, past time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[id]
	if !ok || (!t.expiry.IsZero() && !past.Before(t.expiry)) {
		return "", false
	}
	return t.access, true
}

func (c *tokenCache) put(id string, t Tokens, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = make(map[string]cachedToken)
	}
	if _, ok := c.tokens[id]; !ok && len(c.tokens) >= maxCachedTokens {
		for k, v := range c.tokens {
			if !v.expiry.IsZero() && v.expiry.Before(now) {
				delete(c.tokens, k)
			}
		}
		if len(c.tokens) >= maxCachedTokens {
			clear(c.tokens)
		}
	}
	c.tokens[id] = cachedToken{access: t.AccessToken, expiry: t.Expiry}
}

func (c *tokenCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, id)
}
