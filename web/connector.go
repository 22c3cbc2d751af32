package web

import (
	"context"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
)

// connectorTTL is how long one technician's view of the TeamViewer
// connector is reused: it changes when an administrator onboards it, not
// from one page to the next, and it costs a Graph call.
const connectorTTL = 5 * time.Minute

// partnerReader reads the remote-assistance connectors.
type partnerReader interface {
	RemoteAssistancePartners(ctx context.Context, token string) ([]graph.Partner, error)
}

// connectorStates remembers, per technician (never shared: whether they
// may read it is theirs), the TeamViewer connector's onboarding status.
type connectorStates struct {
	graph partnerReader
	now   func() time.Time

	mu   sync.Mutex
	seen map[string]connectorState
}

type connectorState struct {
	status string // "" when unknown (no permission, or Graph failed)
	at     time.Time
}

func newConnectorStates(g partnerReader, now func() time.Time) *connectorStates {
	return &connectorStates{graph: g, now: now, seen: map[string]connectorState{}}
}

// status is the connector's onboarding status as this technician may see
// it, or "" when it cannot be read (most often: no permission).
func (s *connectorStates) status(ctx context.Context, technicianKey, token string) string {
	s.mu.Lock()
	st, ok := s.seen[technicianKey]
	s.mu.Unlock()
	if ok && s.now().Sub(st.at) < connectorTTL {
		return st.status
	}
	st = connectorState{at: s.now()}
	if partners, err := s.graph.RemoteAssistancePartners(ctx, token); err == nil {
		for _, p := range partners {
			if st.status == "" || p.OnboardingStatus == "onboarded" {
				st.status = p.OnboardingStatus
			}
		}
		if len(partners) == 0 {
			st.status = "notOnboarded"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) > 10000 {
		clear(s.seen)
	}
	s.seen[technicianKey] = st
	return st.status
}
