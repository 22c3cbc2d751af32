package graphsim

import (
	"strings"
	"time"
)

// teamViewerPartnerID is the one partner's id; Intune offers TeamViewer as
// the remote assistance partner that requestRemoteAssistance goes through.
const teamViewerPartnerID = "3c2e9f5d-3a5b-4b8e-9f36-6e1d2a7c4b10"

// remoteAssistancePartner is a microsoft.graph.remoteAssistancePartner.
type remoteAssistancePartner struct {
	ID                     string    `json:"id"`
	DisplayName            string    `json:"displayName"`
	OnboardingURL          string    `json:"onboardingUrl"`
	OnboardingStatus       string    `json:"onboardingStatus"`
	LastConnectionDateTime time.Time `json:"lastConnectionDateTime"`
}

var partnerType = newEntityType("microsoft.graph.remoteAssistancePartner", remoteAssistancePartner{})

// permServiceConfigRead guards the partners: reading them needs more than
// the device scopes, and the portal has to ask for it.
var permServiceConfigRead = permission{intune: true, anyOf: []string{
	"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All",
}}

// teamViewer is the partner as it stands now. A connector that was never
// onboarded has never connected, which Graph writes as the zero time.
func (s *Server) teamViewer() *remoteAssistancePartner {
	s.faults.mu.Lock()
	status := s.faults.partnerStatus
	s.faults.mu.Unlock()
	p := &remoteAssistancePartner{
		ID:               teamViewerPartnerID,
		DisplayName:      "TeamViewer",
		OnboardingURL:    "https://login.teamviewer.com/nav/intune/onboarding",
		OnboardingStatus: status,
	}
	if status != "notOnboarded" {
		p.LastConnectionDateTime = s.partner
	}
	return p
}

// SetPartnerStatus sets the TeamViewer partner's onboardingStatus:
// notOnboarded, onboarding or onboarded.
func (s *Server) SetPartnerStatus(status string) error {
	if err := validPartnerStatus(status); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.partnerStatus = status
	return nil
}

func listPartners(c *call) *apiError {
	v, err := c.newView(partnerType)
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/remoteAssistancePartners", []*remoteAssistancePartner{c.s.teamViewer()}, pageOptions{maxTop: maxTopIntune})
}

func getPartner(c *call) *apiError {
	v, err := c.newView(partnerType)
	if err != nil {
		return err
	}
	if !strings.EqualFold(c.keys[0], teamViewerPartnerID) {
		return c.intuneNotFound()
	}
	return c.writeEntity(v, "deviceManagement/remoteAssistancePartners", c.s.teamViewer())
}
