package graphsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Largest $top each service accepts.
const (
	maxTopDirectory = 999
	maxTopIntune    = 1000
)

// pageOptions say how one collection is paged.
type pageOptions struct {
	maxTop int
	count  bool // write @odata.count on the first page
}

// writePage answers with one page of items and, when more remain, an
// @odata.nextLink that repeats the request's own query with a $skiptoken.
func writePage[T any](c *call, v *view, what string, items []T, opts pageOptions) *apiError {
	size, err := c.pageSize(opts.maxTop)
	if err != nil {
		return err
	}
	offset, err := c.skipToken()
	if err != nil {
		return err
	}
	offset = min(offset, len(items))
	end := min(offset+size, len(items))

	body := struct {
		Context  string            `json:"@odata.context"`
		Count    *int              `json:"@odata.count,omitempty"`
		NextLink string            `json:"@odata.nextLink,omitempty"`
		Value    []json.RawMessage `json:"value"`
	}{Context: c.contextURL(what, v, false), Value: []json.RawMessage{}}
	if opts.count && offset == 0 {
		n := len(items)
		body.Count = &n
	}
	if end < len(items) {
		body.NextLink = c.nextLink(end)
	}
	for _, item := range items[offset:end] {
		raw, err := v.render(c.s.present(item))
		if err != nil {
			return &apiError{http.StatusInternalServerError, "InternalServerError", err.Error()}
		}
		body.Value = append(body.Value, raw)
	}
	out, _ := marshal(body) // raw messages from render are valid JSON
	c.writeJSON(http.StatusOK, out)
	return nil
}

// pageSize is $top, capped by the simulator's page size: Graph may return
// fewer items than $top asks for, and a client must follow nextLink anyway.
func (c *call) pageSize(maxTop int) (int, *apiError) {
	top, ok := c.query["$top"]
	if !ok {
		return c.s.pageSize, nil
	}
	n, err := strconv.Atoi(top[0])
	if err != nil || n < 1 || n > maxTop {
		return 0, badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", top[0], maxTop)
	}
	return min(n, c.s.pageSize), nil
}

// skipToken decodes $skiptoken. It is bound to the rest of the query so
// that a token reused with another query is refused, as Graph's are.
func (c *call) skipToken() (int, *apiError) {
	tok, ok := c.query["$skiptoken"]
	if !ok {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok[0])
	offsetText, fingerprint, found := strings.Cut(string(raw), ".")
	offset, convErr := strconv.Atoi(offsetText)
	if err != nil || !found || convErr != nil || offset < 0 || fingerprint != c.queryFingerprint() {
		return 0, badRequest("The specified page token value has expired and can no longer be included in your request.")
	}
	return offset, nil
}

func (c *call) queryFingerprint() string {
	q := url.Values{}
	for k, v := range c.query {
		if k != "$skiptoken" {
			q[k] = v
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(c.segs, "/") + "?" + q.Encode()))
	return hex.EncodeToString(sum[:8])
}

// nextLink keeps the request's query exactly as sent, minus any old token.
func (c *call) nextLink(offset int) string {
	var kept []string
	for pair := range strings.SplitSeq(c.r.URL.RawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if name, err := url.QueryUnescape(key); pair == "" || err == nil && name == "$skiptoken" {
			continue
		}
		kept = append(kept, pair)
	}
	token := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", offset, c.queryFingerprint()))
	kept = append(kept, "$skiptoken="+token)
	return c.s.baseURL + c.r.URL.EscapedPath() + "?" + strings.Join(kept, "&")
}
