package web

import (
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/components"
)

// A request on its way looks again every 2 s; the watch after a 204 looks
// at the device less and less often: 24 reads of Intune in its two
// minutes rather than 60.
func TestTheWatchLooksLessOftenAsItGoesOn(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	pending := requestProps(standing{Attempt: audit.Attempt{ID: "a", Outcome: audit.Pending, CreatedAt: now}}, "", now)
	if pending.PollAfter != 2*time.Second {
		t.Errorf("a request on its way looks again after %s", pending.PollAfter)
	}
	reads, elapsed := 0, time.Duration(0)
	for elapsed < watchFor {
		p := requestProps(standing{Attempt: audit.Attempt{ID: "a", Outcome: audit.Succeeded, CreatedAt: now, CompletedAt: now}}, "", now.Add(elapsed))
		if p.Phase != components.PhaseAccepted || p.PollURL == "" {
			t.Fatalf("at %s the watch stopped: %+v", elapsed, p)
		}
		reads++
		elapsed += p.PollAfter
	}
	if reads != 24 {
		t.Fatalf("the watch read the device %d times in %s, want 24", reads, watchFor)
	}
	after := requestProps(standing{Attempt: audit.Attempt{ID: "a", Outcome: audit.Succeeded, CreatedAt: now, CompletedAt: now}}, "", now.Add(watchFor))
	if after.PollURL != "" || after.CheckURL == "" {
		t.Errorf("after the watch the request still polls (%q) or offers no check (%q)", after.PollURL, after.CheckURL)
	}
}
