package components

import (
	"context"
	"testing"

	"github.com/assistdesk/assistdesk/views/i18n"
)

// A value Intune adds after this catalogue was written is shown as Intune
// writes it and a missing one is a dash, while a known one is in words.
func TestIntuneValuesTheCatalogueDoesNotKnowAreShownAsTheyAre(t *testing.T) {
	ctx := i18n.With(context.Background(), i18n.English)
	for value, want := range map[string]string{
		"appleBulkWithUser":     "Apple automated enrolment, with a user",
		"appleFutureEnrollment": "appleFutureEnrollment",
		"":                      "—",
	} {
		if got := intuneWords(ctx, enrollmentTypes, value); got != want {
			t.Errorf("enrolment type %q: %q, want %q", value, got, want)
		}
	}
	if got := intuneWords(ctx, managementStates, "wipePending"); got != "Being wiped" {
		t.Errorf("management state wipePending: %q", got)
	}
}
