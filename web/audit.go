package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/pages"
)

// auditReader is the audit trail as the auditors' page reads it.
type auditReader interface {
	List(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Attempt, string, error)
	ExportCSV(ctx context.Context, w io.Writer, f audit.Filter) error
}

type auditHandler struct {
	trail auditReader
	now   func() time.Time
}

// page is the audit trail, filtered and paged, or with format=csv all of
// it that matches, streamed as CSV.
func (h *auditHandler) page(c echo.Context) error {
	form, f, err := auditFilter(c.QueryParams())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	switch c.QueryParam("format") {
	case "", "csv":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badFormat"))
	}
	if c.QueryParam("format") == "csv" {
		name := "assistdesk-audit-" + h.now().UTC().Format("20060102-150405") + ".csv"
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Response().WriteHeader(http.StatusOK)
		// Past the header the status is sent; a failure can only be logged.
		if err := h.trail.ExportCSV(ctx, c.Response(), f); err != nil {
			noteError(c, err)
		}
		return nil
	}
	rows, next, err := h.trail.List(ctx, f, audit.Page{After: c.QueryParam("after")})
	if errors.Is(err, audit.ErrBadCursor) {
		return echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badCursor"))
	}
	if err != nil {
		return err
	}
	m := pages.AuditPage{
		Page:   pageFor(c, i18n.M("nav.audit")),
		Filter: form,
		CSVURL: "/audit?" + withParam(form.Query(), "format", "csv"),
	}
	// An auditor may not open technicians' pages: each link narrows the trail.
	for _, a := range rows {
		person := firstOf(a.UserUPN, a.TargetUser)
		m.Rows = append(m.Rows, attemptRow(a, "", auditLink("device", a.DeviceID), auditLink("user", person), auditLink("ticket", a.Ticket)))
	}
	if next != "" {
		m.NextURL = "/audit?" + withParam(form.Query(), "after", next)
	}
	if c.QueryParam("after") != "" {
		m.FirstURL = "/audit?" + form.Query().Encode()
	}
	return render(c, http.StatusOK, pages.Audit(m))
}

// auditLink is the trail filtered by one value, "" for no value.
func auditLink(filter, value string) string {
	if value == "" {
		return ""
	}
	return "/audit?" + url.Values{filter: {value}}.Encode()
}

func withParam(q url.Values, k, v string) string {
	q.Set(k, v)
	return q.Encode()
}

// auditFilter reads the filter form, refusing what it cannot mean.
func auditFilter(q url.Values) (pages.AuditFilter, audit.Filter, error) {
	form := pages.AuditFilter{
		Technician: q.Get("technician"),
		User:       q.Get("user"),
		Device:     q.Get("device"),
		Ticket:     q.Get("ticket"),
		Outcome:    q.Get("outcome"),
		From:       q.Get("from"),
		To:         q.Get("to"),
	}
	f := audit.Filter{Technician: form.Technician, User: form.User, Device: form.Device, Ticket: form.Ticket}
	for _, v := range []string{form.Technician, form.User, form.Device, form.Ticket} {
		if !utf8.ValidString(v) {
			return form, f, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badUTF8"))
		}
		if strings.ContainsFunc(v, unicode.IsControl) {
			return form, f, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.controlCharacters"))
		}
		if utf8.RuneCountInString(v) > 256 {
			return form, f, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.tooLong"))
		}
	}
	switch o := audit.Outcome(form.Outcome); o {
	case "", audit.Pending, audit.Succeeded, audit.Failed, audit.Unknown, audit.Refused:
		f.Outcome = o
	default:
		return form, f, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badOutcome", form.Outcome))
	}
	var err error
	if f.From, err = day(form.From, 0); err != nil {
		return form, f, err
	}
	// "To" names a day: everything before the next one.
	if f.To, err = day(form.To, 24*time.Hour); err != nil {
		return form, f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return form, f, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badRange", form.From, form.To))
	}
	return form, f, nil
}

func day(v string, plus time.Duration) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, echo.NewHTTPError(http.StatusBadRequest, i18n.M("audit.badDate", v))
	}
	return t.Add(plus), nil
}
