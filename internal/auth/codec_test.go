package auth

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSessionCodecRoundTripsEveryKey(t *testing.T) {
	deadline := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	values := map[string]any{
		keyTechnician: Technician{Issuer: "i", Subject: "s", ObjectID: "o", TenantID: "t", Name: "Zoë O'Brien",
			Username: "z@x.example", Roles: []string{"Assistdesk.Technician"}, Groups: []string{"g"}},
		keyPending:  []pendingSignIn{{State: "st", Nonce: "n", Verifier: "v", ReturnTo: "/?q=a&ticket=1", Started: deadline.Add(-time.Minute)}},
		keyLastSeen: deadline.Add(-time.Hour),
		keyTokenID:  "token-id",
		keyCSRF:     "csrf",
	}
	b, err := sessionCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := sessionCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) {
		t.Errorf("deadline %s, want %s", gotDeadline, deadline)
	}
	if diff := cmp.Diff(values, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, _, err := (sessionCodec{}).Decode([]byte(`{"values":{"planted":1}}`)); err == nil {
		t.Error("a session with an unknown key decoded")
	}
}
