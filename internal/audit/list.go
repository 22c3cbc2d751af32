package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter selects attempts for the audit page and the export. Text fields
// match case-insensitively anywhere in the relevant columns; zero fields
// match everything.
type Filter struct {
	Technician string // technician UPN, name or object id
	User       string // the person: name, UPN, or the route's user id
	Device     string // device id or name
	Ticket     string
	Outcome    Outcome   // exact
	From, To   time.Time // created at From or later, and before To
	// DeviceID and UserUPN (case aside) match one device's or one person's
	// requests exactly, through the trail's indexes: for pages that show
	// them when Intune is busy, when a search through every row is what
	// the database can least afford.
	DeviceID, UserUPN string
}

// Page asks for one page of List.
type Page struct {
	Limit int    // rows per page; DefaultLimit when 0 or less, at most MaxLimit
	After string // the cursor List returned for the previous page, "" for the first
}

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// List returns one page of the attempts matching f, newest first, and the
// cursor of the next page ("" after the last). Paging is by keyset on
// (created_at, id), so attempts written while someone pages neither repeat
// nor shift rows between pages.
func (t *Trail) List(ctx context.Context, f Filter, p Page) ([]Attempt, string, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	where, args := f.where()
	if p.After != "" {
		at, id, err := decodeCursor(p.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, at, id)
	}
	// One row more than the page says whether there is a next page.
	query := "SELECT " + selected + " FROM audit_attempts" + whereClause(where) +
		" ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := t.query(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	if len(rows) <= limit {
		return rows, "", nil
	}
	rows = rows[:limit]
	last := rows[limit-1]
	return rows, encodeCursor(toMillis(last.CreatedAt), last.ID), nil
}

// Recent returns a technician's own latest n requests, newest first: the
// clicks refused before they became a request (a duplicate, the rate
// limit) are left out.
func (t *Trail) Recent(ctx context.Context, technicianKey string, n int) ([]Attempt, error) {
	if n <= 0 {
		return nil, nil // PostgreSQL refuses a negative LIMIT; SQLite reads it as none
	}
	rows, err := t.query(ctx, "SELECT "+selected+" FROM audit_attempts WHERE technician_key = ?"+
		" AND refused_reason NOT IN (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?",
		technicianKey, ReasonDuplicate, ReasonRateLimit, n)
	if err != nil {
		return nil, fmt.Errorf("audit: recent attempts of %s: %w", technicianKey, err)
	}
	return rows, nil
}

// query runs a bounded select of whole attempts.
func (t *Trail) query(ctx context.Context, query string, args ...any) ([]Attempt, error) {
	rows, err := t.db.QueryContext(ctx, t.db.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// where is f as SQL conditions, joined by AND, and their arguments.
func (f Filter) where() ([]string, []any) {
	var conds []string
	var args []any
	contains := func(s string, cols ...string) {
		if s == "" {
			return
		}
		// '!' escapes LIKE's wildcards the same way in both dialects; a
		// backslash would depend on PostgreSQL's string settings.
		pattern := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(strings.ToLower(s)) + "%"
		ors := make([]string, len(cols))
		for i, c := range cols {
			ors[i] = "LOWER(" + c + ") LIKE ? ESCAPE '!'"
			args = append(args, pattern)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	contains(f.Technician, "technician_upn", "technician_name", "technician_oid")
	contains(f.User, "target_user", "user_name", "user_upn")
	contains(f.Device, "device_id", "device_name")
	contains(f.Ticket, "ticket")
	if f.DeviceID != "" {
		conds = append(conds, "device_id = ?")
		args = append(args, f.DeviceID)
	}
	if f.UserUPN != "" {
		conds = append(conds, "LOWER(user_upn) = ?")
		args = append(args, strings.ToLower(f.UserUPN))
	}
	if f.Outcome != "" {
		conds = append(conds, "outcome = ?")
		args = append(args, string(f.Outcome))
	}
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= ?")
		args = append(args, toMillis(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "created_at < ?")
		args = append(args, toMillis(f.To))
	}
	return conds, args
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// The cursor is the last row's keyset, opaque to the page.
func encodeCursor(createdAt int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt, 10) + "_" + id))
}

func decodeCursor(s string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	ms, id, ok := strings.Cut(string(raw), "_")
	at, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", ErrBadCursor
	}
	return at, id, nil
}
