package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

func (s *stack) attempts(t *testing.T) []audit.Attempt {
	t.Helper()
	rows, _, err := s.trail.List(context.Background(), audit.Filter{}, audit.Page{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestEveryAssistanceRequestIsAudited(t *testing.T) {
	s := newStackRefusing(t, 1)
	c := s.signedIn(t)
	adele, _ := s.sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	device := s.sim.Tenant().DevicesOfUser(adele.ID)[0]

	resp := s.assist(t, c, "/users/"+adele.ID+"/devices/"+device.ID+"/assistance?ticket=INC-77", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rows := s.attempts(t)
	if len(rows) != 1 {
		t.Fatalf("%d audit rows, want 1", len(rows))
	}
	a := rows[0]
	action := s.sim.Actions()[0]
	if a.Outcome != audit.Succeeded || a.Route != 1 || a.FallbackRoute != 2 || a.DeviceID != device.ID ||
		a.DeviceName != device.DeviceName || a.TargetUser != adele.ID || a.Ticket != "INC-77" ||
		a.TechnicianUPN != "harper@contoso.example" || a.TechnicianOID != personID(t, "harper") || a.TechnicianTID == "" ||
		a.GraphStatus != http.StatusNoContent || a.GraphRequestID == "" || a.ClientRequestID == "" ||
		a.ClientIP != "127.0.0.1" || a.UserAgent == "" || a.Instance != "test" || a.CompletedAt.IsZero() {
		t.Fatalf("audit row %+v", a)
	}
	if action.DeviceID != a.DeviceID {
		t.Fatalf("audited %s, Graph acted on %s", a.DeviceID, action.DeviceID)
	}
	if doc := document(t, resp); doc.Find("[data-testid=attempt-id]").Text() != a.ID {
		t.Error("the outcome does not show the attempt id")
	}
}

func TestFailedAndUnknownOutcomesAreAudited(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	for i, status := range []int{http.StatusForbidden, http.StatusGatewayTimeout} {
		device := s.sim.Tenant().Devices[i]
		s.failGraph(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost {
				return false
			}
			w.WriteHeader(status)
			w.Write([]byte(`{"error":{"code":"Nope","message":"x","innerError":{"request-id":"rid"}}}`))
			return true
		})
		s.assist(t, c, "/devices/"+device.ID+"/assistance", nil)
	}
	s.failGraph(nil)
	got := map[int]audit.Outcome{}
	for _, a := range s.attempts(t) {
		got[a.GraphStatus] = a.Outcome
	}
	if got[403] != audit.Failed || got[504] != audit.Unknown {
		t.Fatalf("outcomes %v, want 403 failed and 504 unknown", got)
	}
}

func TestDuplicateGuardShowsTheEarlierRequestAndAsksBeforeRepeating(t *testing.T) {
	s := newStack(t)
	harper := s.signedIn(t)
	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	device := s.sim.Tenant().Devices[3]
	path := "/devices/" + device.ID + "/assistance"

	s.assist(t, harper, path, nil)
	resp := s.assist(t, lee, path, nil)
	doc := document(t, resp)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(doc.Find("[data-testid=duplicate]").Text(), "Harper Helpdesk") {
		t.Fatalf("second request within a minute: status %d, %s", resp.StatusCode, doc.Text())
	}
	// The earlier request is shown as it stands, and asking again is a
	// question in a dialog, answering this refusal.
	if doc.Find("[data-testid=duplicate] [data-testid=request]").AttrOr("data-phase", "") != "accepted" {
		t.Fatalf("the duplicate notice does not show the earlier request: %s", doc.Text())
	}
	dialog := doc.Find("[data-testid=again-dialog]")
	opener := doc.Find("[data-testid=request-again]")
	refusal := dialog.Find("input[name=again]").AttrOr("value", "")
	if opener.AttrOr("commandfor", "") != dialog.AttrOr("id", "") || opener.AttrOr("command", "") != "show-modal" || refusal == "" ||
		dialog.Find("form").AttrOr("hx-post", "") != path {
		t.Fatal("Request again does not ask, in a dialog, for confirmation of this refusal")
	}
	if n := len(s.sim.Actions()); n != 1 {
		t.Fatalf("%d actions, want 1: the guard let a second request through", n)
	}
	// An answer that names no refusal is refused as such, before the guard.
	if resp := s.assist(t, lee, path, url.Values{"again": {"refusal\x00"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(document(t, resp).Text(), "An attempt is named by its id") {
		t.Fatalf("Request again naming no refusal: status %d", resp.StatusCode)
	}
	if resp := s.assist(t, lee, path, url.Values{"again": {strings.ToUpper(refusal)}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirmed Request again: status %d", resp.StatusCode)
	}
	if n := len(s.sim.Actions()); n != 2 {
		t.Fatalf("%d actions after a confirmed repeat, want 2", n)
	}
	refused := 0
	for _, a := range s.attempts(t) {
		if a.Outcome == audit.Refused && a.RefusedReason == audit.ReasonDuplicate {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d refused duplicate rows, want 1", refused)
	}
}

func TestAuditPageIsForAuditorsAndFilters(t *testing.T) {
	// A device's name comes from Graph, and Intune lets anyone who enrols
	// a device name it: try a formula.
	tenant := graphsim.DemoTenant(time.Now())
	for i := range 3 {
		tenant.Devices[i].DeviceName = `=HYPERLINK("http://evil.example")`
	}
	s := newStackWith(t, stackOptions{tenant: tenant})
	harper := s.signedIn(t)
	for i, ticket := range []string{"INC-1", "INC-2", "INC-3"} {
		s.assist(t, harper, "/devices/"+s.sim.Tenant().Devices[i].ID+"/assistance?ticket="+ticket, nil)
	}
	if resp := get(t, harper, s.portal.URL+"/audit"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a technician without the auditor role: /audit status %d, want 403", resp.StatusCode)
	}

	avery := browser(t)
	if resp := s.signIn(t, avery, "/", "avery"); resp.Header.Get("Location") != "/audit" {
		t.Fatalf("an auditor lands on %q, want /audit", resp.Header.Get("Location"))
	}
	doc := document(t, get(t, avery, s.portal.URL+"/audit?ticket=INC-2"))
	rows := doc.Find("[data-testid=attempt]")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "INC-2") || !strings.Contains(rows.Text(), "Harper Helpdesk") {
		t.Fatalf("filter by ticket: %d rows: %s", rows.Length(), rows.Text())
	}
	// An auditor cannot open a device's page: the device narrows the trail.
	if href := rows.Find("[data-testid=device-cell] a").AttrOr("href", ""); href != "/audit?device="+s.sim.Tenant().Devices[1].ID {
		t.Errorf("the row links to %q", href)
	}
	if resp := get(t, avery, s.portal.URL+"/audit?outcome=maybe"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown outcome filter: status %d", resp.StatusCode)
	}
	// Each refusal gives its own reason.
	for query, reason := range map[string]string{
		"technician=%FF":                   "not valid UTF-8",
		"device=LAPTOP%00":                 "control characters",
		"user=" + strings.Repeat("a", 257): "longer than 256 characters",
		"format=xml":                       "no other format",
		"from=yesterday":                   "YYYY-MM-DD",
		"from=2026-12-06&to=2026-12-01":    "starts on 2026-12-06, which is after 2026-12-01",
	} {
		resp := get(t, avery, s.portal.URL+"/audit?"+query)
		if detail := document(t, resp).Find("[data-testid=problem-detail]").Text(); resp.StatusCode != http.StatusBadRequest || !strings.Contains(detail, reason) {
			t.Errorf("/audit?%.40s: status %d, %q", query, resp.StatusCode, detail)
		}
	}

	if resp := get(t, avery, s.portal.URL+"/audit?from=2026-12-06&to=2026-12-06"); resp.StatusCode != http.StatusOK {
		t.Errorf("a range of one day: status %d", resp.StatusCode)
	}

	resp := get(t, avery, s.portal.URL+"/audit?format=csv")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export headers %v", resp.Header)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 4 {
		t.Fatalf("%d CSV records, want a header and 3 rows", len(records))
	}
	for _, record := range records[1:] {
		for _, cell := range record {
			if strings.HasPrefix(cell, "=") {
				t.Errorf("a formula went into the CSV unneutralised: %q", cell)
			}
		}
		if !strings.Contains(strings.Join(record, ","), "'=HYPERLINK") {
			t.Errorf("the device name is missing or not neutralised: %v", record)
		}
	}
}

func TestSearchPageShowsTheTechniciansOwnRecentRequests(t *testing.T) {
	s := newStack(t)
	harper := s.signedIn(t)
	device := s.sim.Tenant().Devices[5]
	s.assist(t, harper, "/devices/"+device.ID+"/assistance?ticket=INC-5", nil)
	recent := document(t, get(t, harper, s.portal.URL+"/")).Find("[data-testid=recent] [data-testid=attempt]")
	if recent.Length() != 1 || !strings.Contains(recent.Text(), device.DeviceName) || !strings.Contains(recent.Text(), "INC-5") {
		t.Fatalf("recent requests: %d: %s", recent.Length(), recent.Text())
	}
	// The row names the person by the name Graph gave and leads to them.
	person := recent.Find("[data-testid=person] a")
	if person.Text() != device.UserDisplayName || person.AttrOr("href", "") != "/users/"+url.PathEscape(device.UserPrincipalName)+"?ticket=INC-5" {
		t.Errorf("the row's person is %q, linked to %q", person.Text(), person.AttrOr("href", ""))
	}
	lee := browser(t)
	s.signIn(t, lee, "/", "lee")
	if n := document(t, get(t, lee, s.portal.URL+"/")).Find("[data-testid=recent] [data-testid=attempt]").Length(); n != 0 {
		t.Fatalf("Lee sees %d of Harper's requests", n)
	}
}

func (s *stack) attemptsAll(t *testing.T) []audit.Attempt {
	t.Helper()
	rows, err := allAttempts(s)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
