package web

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
)

// latestReader reads the latest request of each device from the audit trail.
type latestReader interface {
	Latest(ctx context.Context, deviceIDs []string) (map[string]audit.Attempt, error)
	ProgressOf(ctx context.Context, id string) (audit.Progress, int, bool, error)
	Get(ctx context.Context, id string) (audit.Attempt, error)
}

// deviceCards turns Graph's devices into cards that show each device's
// latest request and carry the facts a request for it sends back.
type deviceCards struct {
	facts factsKey
	trail latestReader
	now   func() time.Time
}

// cardsOf says how the devices of one page are shown.
type cardsOf struct {
	// person is whom the page is about; nil shows each device's own user.
	person *graph.User
	// assist is the POST that requests assistance on a device; signed
	// says its form carries the device's facts (route 3 reads them itself).
	assist    func(d graph.ManagedDevice) string
	signed    bool
	connector string // the TeamViewer connector's onboarding status
	ticket    string
}

// cards are the devices, most recently checked in first, each with its
// latest request. A failed read of the audit trail leaves the requests out
// and is returned, for the page to say so.
func (b deviceCards) cards(c echo.Context, devices []graph.ManagedDevice, o cardsOf) ([]components.DeviceProps, error) {
	devices = slices.Clone(devices)
	slices.SortStableFunc(devices, func(x, y graph.ManagedDevice) int { return y.LastSyncDateTime.Compare(x.LastSyncDateTime) })
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = strings.ToLower(d.ID)
	}
	latest, err := b.latest(c, ids)
	page := pageFields(c, c.Request().URL.RequestURI())
	out := make([]components.DeviceProps, len(devices))
	for i, d := range devices {
		person := graph.User{}
		if o.person != nil {
			person = *o.person
		}
		facts := factsOf(d, person)
		p := components.DeviceProps{
			ID:         ids[i],
			Name:       orDash(d.DeviceName),
			OS:         orDash(strings.TrimSpace(d.OperatingSystem + " " + d.OSVersion)),
			Compliance: d.ComplianceState,
			LastSync:   d.LastSyncDateTime,
			Model:      orDash(modelName(d.Manufacturer, d.Model)),
			Serial:     orDash(d.SerialNumber),
			Ownership:  d.ManagedDeviceOwnerType,
			Assist: components.AssistProps{
				DeviceID:   ids[i],
				DeviceName: orDash(d.DeviceName),
				PostURL:    withTicket(o.assist(d), o.ticket),
				Fields:     formFields(b.facts, facts, o.signed, page),
				Blocked:    blockedOf(d, o.connector),
				Request:    latest[ids[i]],
			},
		}
		if o.person == nil {
			p.User = firstOf(d.UserDisplayName, d.UserPrincipalName)
			if graph.IsGUID(d.UserID) {
				p.UserURL = withTicket(userPath(strings.ToLower(d.UserID)), o.ticket)
			}
		}
		out[i] = p
	}
	if r, ok := b.refused(c); ok {
		if i := slices.Index(ids, strings.ToLower(r.DeviceID)); i >= 0 && out[i].Assist.Request != nil {
			a := &out[i].Assist
			a.Duplicate = &components.DuplicateProps{Earlier: *a.Request, DeviceName: a.DeviceName, DeviceID: a.DeviceID,
				RefusalID: r.ID, PostURL: a.PostURL, Fields: a.Fields}
		}
	}
	return out, err
}

// refused is the request the page's ?refused= names, if it is one the
// technician looking may still ask again: theirs, not sent because the
// device had just been asked for, and not yet asked again. (A page
// without JavaScript is named it after the form's answer; anyone else's
// link names nothing.)
func (b deviceCards) refused(c echo.Context) (audit.Attempt, bool) {
	id := strings.ToLower(c.QueryParam("refused"))
	if !graph.IsGUID(id) {
		return audit.Attempt{}, false
	}
	r, err := b.trail.Get(c.Request().Context(), id)
	ok := err == nil && r.TechnicianKey == technicianOf(c).Key() && r.Outcome == audit.Refused &&
		r.RefusedReason == audit.ReasonDuplicate && r.ConfirmedBy == "" && b.now().Sub(r.CreatedAt) <= audit.ConfirmWithin
	return r, ok
}

// latest is where each device's latest request stands, for the
// technician looking.
func (b deviceCards) latest(c echo.Context, ids []string) (map[string]*components.RequestProps, error) {
	ctx := c.Request().Context()
	attempts, err := b.trail.Latest(ctx, ids)
	if err != nil {
		noteError(c, err)
		return nil, err
	}
	viewer, now := technicianOf(c).Key(), b.now()
	out := make(map[string]*components.RequestProps, len(attempts))
	for id, a := range attempts {
		s := standing{Attempt: a}
		if a.Outcome == audit.Pending {
			if s.progress, s.position, s.waiting, err = b.trail.ProgressOf(ctx, a.ID); err != nil {
				noteError(c, err)
				return nil, err
			}
		}
		p := requestProps(s, viewer, now)
		out[id] = &p
	}
	return out, nil
}

// blockedOf is why the portal knows a device cannot take remote
// assistance (see docs/graph-reference.md), "" when nothing is known
// against it.
func blockedOf(d graph.ManagedDevice, connector string) components.Blocked {
	switch {
	case connector == "notOnboarded":
		return components.BlockedConnector
	case d.DeviceEnrollmentType == "androidEnterpriseFullyManaged" ||
		d.DeviceEnrollmentType == "androidEnterpriseCorporateWorkProfile" ||
		d.DeviceEnrollmentType == "androidEnterpriseDedicatedDevice":
		return components.BlockedAndroidCorporate
	case platformOf(d.OperatingSystem, "") == components.PlatformWindows && d.UserID == "" && d.UserPrincipalName == "":
		return components.BlockedNoUser
	case slices.Contains([]string{"retirePending", "retireIssued", "wipePending", "wipeIssued"}, d.ManagementState):
		return components.BlockedRetiring
	}
	return ""
}

// deviceDetails are the device page's extra facts.
func deviceDetails(d graph.ManagedDevice) *components.DeviceDetails {
	return &components.DeviceDetails{
		Encrypted:  d.IsEncrypted,
		Enrolled:   d.EnrolledDateTime,
		Management: d.ManagementState,
		Enrollment: d.DeviceEnrollmentType,
	}
}

// modelName is "Manufacturer Model", without saying the maker twice when
// Intune's model already starts with it ("HP EliteDesk 800").
func modelName(manufacturer, model string) string {
	if strings.HasPrefix(strings.ToLower(model), strings.ToLower(manufacturer)) {
		return strings.TrimSpace(model)
	}
	return strings.TrimSpace(manufacturer + " " + model)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
