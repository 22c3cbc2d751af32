package audit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var listBase = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// listRows are five attempts a minute apart, "a" the oldest; the filter
// cases below name them by letter.
var listRows = []Attempt{
	{ID: "a", TechnicianUPN: "ada@contoso.example", TechnicianName: "Ada Lovelace", TechnicianOID: "oid-ada-1",
		TargetUser: "grace@contoso.example", DeviceID: "dev-aaa", DeviceName: "LAPTOP-RED", Ticket: "INC001", Outcome: Succeeded},
	{ID: "b", TechnicianUPN: "grace@fabrikam.example", TechnicianName: "Grace Hopper", TechnicianOID: "oid-grace-2",
		DeviceID: "dev-bbb", DeviceName: "DESKTOP-BLUE", Ticket: "CHG_42", Outcome: Failed,
		UserName: "Adele Vance", UserUPN: "adele.vance@contoso.example"},
	{ID: "c", TechnicianUPN: "ada@contoso.example", TechnicianName: "Ada Lovelace", TechnicianOID: "oid-ada-1",
		TargetUser: "linus@contoso.example", DeviceID: "dev-ccc", DeviceName: "laptop-green", Outcome: Refused},
	{ID: "d", TechnicianUPN: "grace@fabrikam.example", TechnicianName: "Grace Hopper", TechnicianOID: "oid-grace-2",
		TargetUser: "grace@contoso.example", DeviceID: "dev-aaa", DeviceName: "LAPTOP-RED", Ticket: "inc001-b", Outcome: Pending},
	{ID: "e", TechnicianUPN: "ada@contoso.example", TechnicianName: "Ada Lovelace", TechnicianOID: "oid-ada-1",
		TargetUser: "100%sure@contoso.example", DeviceID: "dev-ddd", DeviceName: "PC-9", Ticket: "CHG-42", Outcome: Unknown},
}

func TestListFilters(t *testing.T) {
	at := func(m int) time.Time { return listBase.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		name   string
		filter Filter
		want   string // ids, newest first
	}{
		{"everything", Filter{}, "edcba"},
		{"technician upn, any case", Filter{Technician: "ADA@"}, "eca"},
		{"technician name", Filter{Technician: "hopper"}, "db"},
		{"technician oid", Filter{Technician: "oid-grace"}, "db"},
		{"user", Filter{User: "grace@CONTOSO"}, "da"},
		{"user, literal percent", Filter{User: "%"}, "e"},
		{"user by name, on a device route", Filter{User: "adele"}, "b"},
		{"user by the UPN Graph gave", Filter{User: "VANCE@contoso"}, "b"},
		{"device id", Filter{Device: "dev-aaa"}, "da"},
		{"device name", Filter{Device: "laptop"}, "dca"},
		{"ticket", Filter{Ticket: "inc001"}, "da"},
		{"ticket, literal underscore", Filter{Ticket: "CHG_42"}, "b"},
		{"outcome", Filter{Outcome: Failed}, "b"},
		{"from inclusive, to exclusive", Filter{From: at(1), To: at(3)}, "cb"},
		{"several fields", Filter{Technician: "ada", Outcome: Refused}, "c"},
		{"nothing matches", Filter{Device: "dev-zzz"}, ""},
		{"one device, exactly", Filter{DeviceID: "dev-aaa"}, "da"},
		{"one device, not part of an id", Filter{DeviceID: "dev-aa"}, ""},
		{"one person, by UPN in any case", Filter{UserUPN: "Adele.Vance@contoso.example"}, "b"},
		{"one person, not part of a UPN", Filter{UserUPN: "vance@contoso.example"}, ""},
	}
	eachDialect(t, func(t *testing.T, url string) {
		db := openDB(t, url)
		seed(t, db, len(listRows), func(i int) Attempt {
			a := listRows[i]
			a.CreatedAt = at(i)
			return a
		})
		trail := New(db, "instance-a", nil)
		for _, c := range cases {
			rows, next, err := trail.List(context.Background(), c.filter, Page{})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := ""
			for _, r := range rows {
				got += r.ID
			}
			if got != c.want || next != "" {
				t.Errorf("%s: got %q (next %q), want %q", c.name, got, next, c.want)
			}
		}
	})
}

func TestListPagesWithoutRepeatsOrGaps(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), openDB(t, url)
		// Pairs of attempts share a millisecond, so the id must break ties.
		seed(t, db, 25, func(i int) Attempt {
			return Attempt{ID: fmt.Sprintf("row-%02d", i), DeviceID: "dev", CreatedAt: listBase.Add(time.Duration(i/2) * time.Second), Outcome: Succeeded}
		})
		clock := newClock()
		trail := New(db, "instance-a", clock.Now)

		var seen []string
		cursor := ""
		for page := 1; ; page++ {
			rows, next, err := trail.List(ctx, Filter{}, Page{Limit: 10, After: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(10, 25-len(seen)); len(rows) != want {
				t.Fatalf("page %d has %d rows, want %d", page, len(rows), want)
			}
			for _, r := range rows {
				seen = append(seen, r.ID)
			}
			if page == 1 {
				// A newer attempt written between pages must not shift the next page.
				if _, err := trail.Begin(ctx, request("dev-new"), time.Minute, ""); err != nil {
					t.Fatal(err)
				}
			}
			if next == "" {
				if page != 3 {
					t.Fatalf("paging ended after page %d, want 3", page)
				}
				break
			}
			cursor = next
		}
		want := make([]string, 25)
		for i := range want {
			want[i] = fmt.Sprintf("row-%02d", 24-i)
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("pages gave\n%v\nwant\n%v", seen, want)
		}

		for _, bad := range []string{"%%%", base64.RawURLEncoding.EncodeToString([]byte("soon_row-01")),
			base64.RawURLEncoding.EncodeToString([]byte("12345"))} {
			if _, _, err := trail.List(ctx, Filter{}, Page{After: bad}); !errors.Is(err, ErrBadCursor) {
				t.Errorf("cursor %q: %v, want ErrBadCursor", bad, err)
			}
		}
	})
}

func TestRecentIsTheTechniciansOwnLatest(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		db := openDB(t, url)
		seed(t, db, 6, func(i int) Attempt {
			key := []string{"tech-ada", "tech-grace"}[i%2]
			return Attempt{ID: fmt.Sprintf("%s-%d", key, i), TechnicianKey: key, CreatedAt: listBase.Add(time.Duration(i) * time.Minute)}
		})
		trail := New(db, "instance-a", nil)
		rows, err := trail.Recent(context.Background(), "tech-ada", 2)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if want := []string{"tech-ada-4", "tech-ada-2"}; !slices.Equal(got, want) {
			t.Fatalf("recent %v, want %v", got, want)
		}
		if rows, err := trail.Recent(context.Background(), "tech-ada", 0); err != nil || len(rows) != 0 {
			t.Fatalf("recent with n=0: %d rows, %v", len(rows), err)
		}
	})
}
