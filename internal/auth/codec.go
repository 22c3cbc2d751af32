package auth

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"
)

// sessionCodec stores the session as JSON, each value decoded by the type
// its key holds. scs's default gob codec builds a new decoder, and so
// compiles the session's types again, on every request that loads a
// session; this package owns every key, so it can name their types.
//
// It also remembers what it decoded lately, by the stored bytes: a
// technician's next request loads the same record (the session is still
// read from the database on every request), and decoding it was a tenth of
// the CPU of a page. A record that changed is other bytes, decoded anew.
type sessionCodec struct {
	mu     sync.Mutex
	recent map[string]decoded
}

type decoded struct {
	deadline time.Time
	values   map[string]any
}

// recentRecords bounds what the codec remembers: about a kilobyte each,
// and more than the technicians of one instance.
const recentRecords = 4096

func newSessionCodec() *sessionCodec {
	return &sessionCodec{recent: make(map[string]decoded)}
}

type sessionRecord[V any] struct {
	Deadline time.Time    `json:"deadline"`
	Values   map[string]V `json:"values"`
}

// Encode implements scs.Codec.
func (*sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return json.Marshal(sessionRecord[any]{Deadline: deadline, Values: values})
}

// Decode implements scs.Codec. The values are the caller's to change: a
// remembered record is handed out as a copy. Their own contents are never
// changed in place by this package (a Put replaces a value), so the copy
// can be shallow.
func (c *sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	c.mu.Lock()
	d, ok := c.recent[string(b)]
	c.mu.Unlock()
	if ok {
		return d.deadline, maps.Clone(d.values), nil
	}
	deadline, values, err := decode(b)
	if err != nil {
		return time.Time{}, nil, err
	}
	c.mu.Lock()
	if len(c.recent) >= recentRecords {
		clear(c.recent)
	}
	c.recent[string(b)] = decoded{deadline, values}
	c.mu.Unlock()
	return deadline, maps.Clone(values), nil
}

func decode(b []byte) (time.Time, map[string]any, error) {
	var rec sessionRecord[json.RawMessage]
	if err := json.Unmarshal(b, &rec); err != nil {
		return time.Time{}, nil, fmt.Errorf("auth: decode session: %w", err)
	}
	values := make(map[string]any, len(rec.Values))
	for k, raw := range rec.Values {
		v, err := decodeValue(k, raw)
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("auth: decode session value %s: %w", k, err)
		}
		values[k] = v
	}
	return rec.Deadline, values, nil
}

func decodeValue(key string, raw json.RawMessage) (any, error) {
	switch key {
	case keyTechnician:
		return decodeAs[Technician](raw)
	case keyPending:
		return decodeAs[[]pendingSignIn](raw)
	case keyLastSeen:
		return decodeAs[time.Time](raw)
	case keyTokenID, keyCSRF:
		return decodeAs[string](raw)
	}
	return nil, fmt.Errorf("unknown session key")
}

func decodeAs[T any](raw json.RawMessage) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
