package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// latestChunk bounds the ids of one Latest query; the lists are padded to
// powers of two up to it, so that the statement cache holds a few texts
// rather than one per list length.
const latestChunk = 512

// Latest returns, for each of the devices that has one, the latest request
// made for it: the attempt that holds the device's claim. Refused
// duplicates and rate-limited clicks never claim a device, so they are not
// what a device shows; a refusal by the write budget is.
func (t *Trail) Latest(ctx context.Context, deviceIDs []string) (map[string]Attempt, error) {
	out := make(map[string]Attempt, len(deviceIDs))
	for len(deviceIDs) > 0 {
		chunk := deviceIDs[:min(len(deviceIDs), latestChunk)]
		deviceIDs = deviceIDs[len(chunk):]
		n := 1
		for n < len(chunk) {
			n *= 2
		}
		args := make([]any, n)
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		rows, err := t.query(ctx, "SELECT "+selected+" FROM audit_attempts WHERE id IN "+
			"(SELECT attempt_id FROM device_claims WHERE device_id IN (?"+strings.Repeat(", ?", n-1)+"))", args...)
		if err != nil {
			return nil, fmt.Errorf("audit: latest requests of %d devices: %w", len(chunk), err)
		}
		for _, a := range rows {
			out[a.DeviceID] = a
		}
	}
	return out, nil
}

// SetSession records what the device showed after an accepted request.
// A final session state is never rewritten, and an unchanged one is not
// written again; changed says whether this call recorded something new.
func (t *Trail) SetSession(ctx context.Context, id string, s Session) (changed bool, err error) {
	err = t.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.db.Rebind(`UPDATE audit_attempts SET session_state = ?, session_error = ?, session_at = ?
			WHERE id = ? AND outcome = 'succeeded' AND session_state IN ('', 'waiting') AND session_state <> ?`),
			string(s.State), storable(s.Error), toMillis(t.clock()), id, string(s.State))
		if err != nil {
			return fmt.Errorf("audit: session of %s: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("audit: session of %s: %w", id, err)
		}
		if changed = n == 1; !changed || !s.State.Final() || !t.ticketEvents {
			return nil
		}
		a, err := t.get(ctx, tx, id)
		if err != nil {
			return err
		}
		return t.recordEvent(ctx, tx, sessionEvents[s.State], a)
	})
	return changed, err
}
