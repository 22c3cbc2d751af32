package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// csvHeader names the export's columns, one per Attempt field. Scripts
// read them by name and by position: new columns go at the end.
var csvHeader = []string{"id", "created_at", "completed_at", "technician_oid", "technician_tid",
	"technician_upn", "technician_name", "technician_key", "target_user", "device_id", "device_name",
	"route", "fallback_route", "ticket", "outcome", "refused_reason", "graph_status",
	"graph_error_code", "graph_request_id", "client_request_id", "duration_ms", "client_ip",
	"user_agent", "instance", "user_name", "user_upn", "device_os", "duplicate_of", "confirmed_by",
	"session_state", "session_error", "session_at", "ticket_delivery", "ticket_delivery_status"}

// flushEvery rows the export hands what it has to w, so a download
// starts at once and progresses rather than arriving at the end.
const flushEvery = 1000

// ExportCSV writes every attempt matching f to w as CSV, oldest first (the
// order a trail is read in), after a header row. Rows stream from the
// database to w one at a time, so memory stays bounded whatever the count.
// Times are RFC 3339 UTC, durations whole milliseconds, and cells that a
// spreadsheet would run as a formula are neutralised.
func (t *Trail) ExportCSV(ctx context.Context, w io.Writer, f Filter) error {
	where, args := f.where()
	rows, err := t.db.QueryContext(ctx, t.db.Rebind("SELECT "+selected+" FROM audit_attempts"+
		whereClause(where)+" ORDER BY created_at, id"), args...)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	defer rows.Close()

	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	record := make([]string, len(csvHeader))
	for n := 1; rows.Next(); n++ {
		a, err := scanAttempt(rows)
		if err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if err := cw.Write(csvRecord(record, a)); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if n%flushEvery == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return fmt.Errorf("audit: export: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}

// csvRecord fills record, reused from row to row, with a's cells.
func csvRecord(record []string, a Attempt) []string {
	cells := [...]string{a.ID, csvTime(a.CreatedAt), csvTime(a.CompletedAt), a.TechnicianOID,
		a.TechnicianTID, a.TechnicianUPN, a.TechnicianName, a.TechnicianKey, a.TargetUser,
		a.DeviceID, a.DeviceName, strconv.Itoa(a.Route), strconv.Itoa(a.FallbackRoute), a.Ticket,
		string(a.Outcome), a.RefusedReason, strconv.Itoa(a.GraphStatus), a.GraphErrorCode,
		a.GraphRequestID, a.ClientRequestID, strconv.FormatInt(a.Duration.Milliseconds(), 10),
		a.ClientIP, a.UserAgent, a.Instance, a.UserName, a.UserUPN, a.DeviceOS, a.DuplicateOf,
		a.ConfirmedBy, string(a.Session.State), a.Session.Error, csvTime(a.Session.At), a.TicketDelivery.State,
		statusCell(a.TicketDelivery.Status)}
	for i, c := range cells {
		record[i] = neutralise(c)
	}
	return record
}

// statusCell is an HTTP status, empty for none.
func statusCell(status int) string {
	if status == 0 {
		return ""
	}
	return strconv.Itoa(status)
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(csvTimeLayout)
}

// csvTimeLayout is RFC 3339 with the milliseconds the trail keeps, always
// three digits so that the column sorts as text too.
const csvTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// neutralise keeps a spreadsheet from running a cell as a formula: most of
// an attempt comes from the technician's request or from Graph (ticket,
// user agent, device name), and an export is opened by an auditor. A
// leading single quote makes the spreadsheet show the text as it is.
func neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
