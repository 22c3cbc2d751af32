// Package format writes times and durations the one way every page shows
// them: in the technician's time zone, with UTC one hover away. The zone
// and the moment of the request travel in the request's context, set by
// the web layer, so that views stay functions of their view models.
package format

import (
	"context"
	"fmt"
	"time"
)

// Clock is the request's now and the technician's time zone.
type Clock struct {
	Now  time.Time
	Zone *time.Location
}

type clockKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c Clock) context.Context {
	return context.WithValue(ctx, clockKey{}, c)
}

// ClockOf is the clock in ctx; without one, the current time in UTC.
func ClockOf(ctx context.Context) Clock {
	if c, ok := ctx.Value(clockKey{}).(Clock); ok && c.Zone != nil {
		return c
	}
	return Clock{Now: time.Now(), Zone: time.UTC}
}

// When is a moment in the technician's zone, e.g. "2026-12-06 10:04:05 CET".
func When(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(ClockOf(ctx).Zone).Format("2006-01-02 15:04:05 MST")
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

// Ago is how long before the request's now t was, as said on the phone.
func Ago(ctx context.Context, t time.Time) string {
	d := ClockOf(ctx).Now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d/time.Second))
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

// Days is a whole number of days, e.g. "41 days".
func Days(d time.Duration) string { return plural(int(d/(24*time.Hour)), "day") }

// Seconds is a short wait or an elapsed time: "8 s", "2 min 5 s".
func Seconds(d time.Duration) string {
	s := max(0, int(d.Round(time.Second)/time.Second))
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	if s%60 == 0 {
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
