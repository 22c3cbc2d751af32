// Package format writes times and durations the one way every page shows
// them: in the technician's time zone and language, with UTC one hover
// away. The zone, the language and the clock travel in the request's
// context, set by the web layer, so that views stay functions of their view
// models.
package format

import (
	"context"
	"time"

	"github.com/assistdesk/assistdesk/views/i18n"
)

// Clock is the time now and the technician's time zone. Now is read as a
// view writes a time, not fixed when the request arrived: an answer written
// after a long wait on Graph says "30 seconds ago", not "just now".
type Clock struct {
	Now  func() time.Time
	Zone *time.Location
}

type clockKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c Clock) context.Context {
	return context.WithValue(ctx, clockKey{}, c)
}

// ClockOf is the clock in ctx; without one, the current time in UTC.
func ClockOf(ctx context.Context) Clock {
	if c, ok := ctx.Value(clockKey{}).(Clock); ok && c.Zone != nil && c.Now != nil {
		return c
	}
	return Clock{Now: time.Now, Zone: time.UTC}
}

// When is a moment in the technician's zone, written their language's
// way: "2026-12-06 10:04:05 CET", "06.12.2026, 10:04:05 UTC+01:00".
func When(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(ClockOf(ctx).Zone).Format(i18n.T(ctx, "time.layout"))
}

// UTC is the same moment in UTC, for support and for the title of a time.
func UTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ISO is the machine-readable form for a <time> element.
func ISO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Ago is how long before now t was, as said on the phone.
func Ago(ctx context.Context, t time.Time) string {
	d := ClockOf(ctx).Now().Sub(t)
	switch {
	case d < 5*time.Second:
		return i18n.T(ctx, "time.justNow")
	case d < time.Minute:
		return i18n.T(ctx, "time.secondsAgo", int(d/time.Second))
	case d < time.Hour:
		return i18n.T(ctx, "time.minutesAgo", int(d/time.Minute))
	case d < 48*time.Hour:
		return i18n.T(ctx, "time.hoursAgo", int(d/time.Hour))
	}
	return i18n.T(ctx, "time.daysAgo", int(d/(24*time.Hour)))
}

// Seconds is a short wait or an elapsed time: "8 s", "2 min 5 s".
func Seconds(ctx context.Context, d time.Duration) string { return Duration(d).In(ctx) }

// Duration is Seconds as a Text, for a sentence that is said later.
func Duration(d time.Duration) i18n.Text {
	s := max(0, int(d.Round(time.Second)/time.Second))
	switch {
	case s < 60:
		return i18n.M("duration.seconds", s)
	case s%60 == 0:
		return i18n.M("duration.minutes", s/60)
	}
	return i18n.M("duration.minutesSeconds", s/60, s%60)
}

// Until is how long until something happens, for "in %s": the duration,
// or a moment when it is due now (a wait rounded down to 0 s reads as a
// mistake).
func Until(d time.Duration) i18n.Text {
	if d.Round(time.Second) < time.Second {
		return i18n.M("duration.aMoment")
	}
	return Duration(d)
}

// RetryIn is how long to wait before trying again, for "in %s": Graph's
// Retry-After, or a minute when it gave none.
func RetryIn(d time.Duration) i18n.Text {
	if d <= 0 {
		return i18n.M("duration.aMinute")
	}
	return Duration(d)
}
