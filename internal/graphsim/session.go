package graphsim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// actionRequestRemoteAssistance is the action's name in deviceActionResults.
const actionRequestRemoteAssistance = "requestRemoteAssistance"

// session is a requestRemoteAssistance that Intune accepted, followed up on
// the device as the portal sees it there: pending until end, then done
// with a session URL, failed with error details, or not supported.
type session struct {
	start, end time.Time
	state      string // the action's final state: done, failed or notSupported
	details    string // remoteAssistanceSessionErrorDetails when failed
}

// openSession starts the follow-up of an accepted request. Intune takes
// the request whatever the connector or the device, and what follows says
// so: no connector onboarded, no session; an Android Enterprise
// corporate-owned device, not supported. The delay and the outcome are
// fixed now, so that changing them later does not rewrite what a device
// already showed.
func (s *Server) openSession(d *ManagedDevice) {
	st := s.faults
	st.mu.Lock()
	delay := st.sessionDelay
	fault := st.devices[strings.ToLower(d.ID)].kind
	connector := st.partnerStatus
	st.mu.Unlock()
	now := s.now().UTC()
	ss := session{start: now, end: now.Add(delay), state: "done"}
	switch {
	case connector != "onboarded":
		ss.state, ss.details = "failed", "The TeamViewer connector is not onboarded for this tenant, so no session could be created."
	case androidCorporate(d.DeviceEnrollmentType):
		ss.state = "notSupported"
	case fault == kindSessionError:
		ss.state, ss.details = "failed", "The TeamViewer session could not be created: the device did not respond to the connector's invitation."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[strings.ToLower(d.ID)] = ss
}

// androidCorporate reports the enrolment types of Android Enterprise
// corporate-owned devices, where Intune does not support remote assistance.
func androidCorporate(enrollmentType string) bool {
	switch enrollmentType {
	case "androidEnterpriseFullyManaged", "androidEnterpriseCorporateWorkProfile", "androidEnterpriseDedicatedDevice":
		return true
	}
	return false
}

// SetSessionDelay sets how long requests accepted from now on stay
// pending on the device before they are done or failed; 0 is at once.
func (s *Server) SetSessionDelay(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.sessionDelay = max(d, 0)
}

// present is an entity as the simulator serves it at this moment: a device
// with an assistance session shows its progress. The tenant is never
// changed; the device is copied.
func (s *Server) present(entity any) any {
	d, ok := entity.(*ManagedDevice)
	if !ok || d == nil {
		return entity
	}
	s.mu.Lock()
	ss, ok := s.sessions[strings.ToLower(d.ID)]
	s.mu.Unlock()
	if !ok {
		return entity
	}
	shown := *d
	result := DeviceActionResult{
		ActionName:          actionRequestRemoteAssistance,
		ActionState:         "pending",
		StartDateTime:       ss.start,
		LastUpdatedDateTime: ss.start,
	}
	shown.RemoteAssistanceSessionURL, shown.RemoteAssistanceSessionErrorDetails = "", ""
	if !s.now().Before(ss.end) {
		result.LastUpdatedDateTime, result.ActionState = ss.end, ss.state
		shown.RemoteAssistanceSessionErrorDetails = ss.details
		if ss.state == "done" {
			shown.RemoteAssistanceSessionURL = sessionURL(d.ID, ss.start)
		}
	}
	// Intune keeps the latest result of each action, so a new request
	// replaces the previous one.
	shown.DeviceActionResults = append(slices.DeleteFunc(slices.Clone(d.DeviceActionResults), func(r DeviceActionResult) bool {
		return r.ActionName == actionRequestRemoteAssistance
	}), result)
	return &shown
}

// sessionURL is a TeamViewer-style session link, stable for one request so
// that reading the device twice shows the same session.
func sessionURL(deviceID string, start time.Time) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", strings.ToLower(deviceID), start.UnixNano())
	return fmt.Sprintf("https://get.teamviewer.com/s%08d", h.Sum64()%100_000_000)
}
