package auth

import (
	"encoding/json"
	"fmt"
	"time"
)

// sessionCodec stores the session as JSON, each value decoded by the type
// its key holds. scs's default gob codec builds a new decoder, and so
// compiles the session's types again, on every request that loads a
// session; this package owns every key, so it can name their types.
type sessionCodec struct{}

type sessionRecord[V any] struct {
	Deadline time.Time    `json:"deadline"`
	Values   map[string]V `json:"values"`
}

// Encode implements scs.Codec.
func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return json.Marshal(sessionRecord[any]{Deadline: deadline, Values: values})
}

// Decode implements scs.Codec.
func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
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
