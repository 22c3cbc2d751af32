package auth

import (
	"fmt"
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
	codec := newSessionCodec()
	b, err := codec.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the second answer is the remembered one.
	for range 2 {
		gotDeadline, got, err := codec.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !gotDeadline.Equal(deadline) {
			t.Errorf("deadline %s, want %s", gotDeadline, deadline)
		}
		if diff := cmp.Diff(values, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		// scs changes the map it is given; the next request must not see it.
		got[keyCSRF] = "changed"
		delete(got, keyTokenID)
	}
	if _, _, err := codec.Decode([]byte(`{"values":{"planted":1}}`)); err == nil {
		t.Error("a session with an unknown key decoded")
	}
}

func TestSessionCodecForgetsWhenFull(t *testing.T) {
	codec := newSessionCodec()
	for i := range recentRecords + 1 {
		b, err := codec.Encode(time.Unix(int64(i), 0), map[string]any{keyCSRF: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, v, err := codec.Decode(b); err != nil || v[keyCSRF] != fmt.Sprint(i) {
			t.Fatalf("record %d: %v, %v", i, v, err)
		}
	}
	if n := len(codec.recent); n > recentRecords {
		t.Fatalf("%d records remembered, at most %d", n, recentRecords)
	}
}
