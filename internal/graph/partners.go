package graph

import "context"

// Partner is a remote-assistance partner connector (TeamViewer).
type Partner struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	OnboardingStatus string `json:"onboardingStatus"` // notOnboarded | onboarding | onboarded
}

// RemoteAssistancePartners lists the connectors. Reading them needs
// DeviceManagementServiceConfig.Read.All, which not every technician's
// token carries: a 403 means "unknown", not "broken".
func (c *Client) RemoteAssistancePartners(ctx context.Context, token string) ([]Partner, error) {
	return getAll[Partner](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/remoteAssistancePartners",
		path:     "/beta/deviceManagement/remoteAssistancePartners",
	}, 0)
}
