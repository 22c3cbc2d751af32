package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/views/components"
)

// watchFor is how long after a 204 a request keeps looking at the device
// for the session TeamViewer opens, or the reason it could not.
const watchFor = 2 * time.Minute

// livePoll is how often a request on its way to Intune looks again: a
// technician is waiting on it, and looking reads the audit trail only.
const livePoll = 2 * time.Second

// watchPoll is how often the watch after a 204 looks at the device, which
// is a read of Intune's: often while the caller is likely to be accepting,
// then less and less, so that a helpdesk's watches stay a small part of
// Intune's read limit (2 s for 20 s, 5 s to the minute, then 10 s: 24
// looks in the two minutes, not 60).
func watchPoll(since time.Duration) time.Duration {
	switch {
	case since < 20*time.Second:
		return 2 * time.Second
	case since < time.Minute:
		return 5 * time.Second
	}
	return 10 * time.Second
}

// standing is an attempt with what is known of it beyond its row: where a
// waiting attempt stands, and the session link the device shows now.
type standing struct {
	audit.Attempt
	progress   audit.Progress
	position   int
	waiting    bool
	sessionURL string
	// intuneBusy is how long until the watch may read the device again,
	// when the read budget left it no slot for this look.
	intuneBusy time.Duration
}

// requestProps is where an attempt stands, for the technician viewer.
func requestProps(s standing, viewer string, now time.Time) components.RequestProps {
	a := s.Attempt
	p := components.RequestProps{
		AttemptID: a.ID,
		By:        firstOf(a.TechnicianName, a.TechnicianUPN),
		Mine:      a.TechnicianKey == viewer,
		At:        a.CreatedAt,
		Person:    a.UserName,
		Platform:  platformOf(a.DeviceOS, a.DeviceName),
		Userless:  a.UserName == "" && a.UserUPN == "" && a.TargetUser == "" && platformOf(a.DeviceOS, "") == components.PlatformWindows,
		Support: components.SupportProps{
			AttemptID:       a.ID,
			At:              a.CreatedAt,
			Status:          a.GraphStatus,
			Code:            a.GraphErrorCode,
			Route:           a.Route,
			Fallback:        a.FallbackRoute,
			RequestID:       a.GraphRequestID,
			ClientRequestID: a.ClientRequestID,
		},
	}
	poll := statusPath(a.ID)
	switch a.Outcome {
	case audit.Pending:
		p.Phase, p.Waited, p.PollURL, p.PollAfter = components.PhaseSending, now.Sub(a.CreatedAt), poll, livePoll
		if s.waiting {
			p.Phase, p.Next, p.Position = components.PhaseRetrying, s.progress.RetryAt.Sub(now), s.position
			if s.progress.State == audit.Queued {
				p.Phase = components.PhaseQueued
			}
		}
	case audit.Succeeded:
		p.Phase = components.PhaseAccepted
		switch a.Session.State {
		case audit.SessionReady:
			p.Phase, p.SessionURL = components.PhaseReady, s.sessionURL
			if s.sessionURL == "" {
				// The link is read from the device only while watching.
				p.CheckURL = poll + "?check=1"
			}
		case audit.SessionFailed:
			p.Phase, p.SessionError = components.PhaseSessionFailed, a.Session.Error
		case audit.SessionNotSupported:
			p.Phase = components.PhaseNotSupported
		default:
			if since := now.Sub(a.CompletedAt); since < watchFor {
				p.PollURL, p.PollAfter, p.IntuneBusy = poll, max(watchPoll(since), s.intuneBusy), s.intuneBusy
			} else {
				p.CheckURL = poll + "?check=1"
			}
		}
	case audit.Unknown:
		p.Phase = components.PhaseUnknown
	case audit.Refused:
		p.Phase = components.PhaseRefused
	default:
		p.Phase, p.Reason = components.PhaseFailed, reasonOf(a.GraphStatus)
	}
	return p
}

// statusPath is the live status of an attempt.
func statusPath(id string) string { return "/assistance/" + url.PathEscape(id) }

// reasonOf is why Graph refused, by its status.
func reasonOf(status int) components.Reason {
	switch {
	case status == http.StatusUnauthorized:
		return components.ReasonSignIn
	case status == http.StatusForbidden:
		return components.ReasonForbidden
	case status == http.StatusNotFound:
		return components.ReasonNotFound
	case status == http.StatusTooManyRequests:
		return components.ReasonThrottled
	case status == http.StatusServiceUnavailable:
		return components.ReasonUnavailable
	case status == http.StatusBadRequest:
		return components.ReasonMalformed
	case status >= 500:
		return components.ReasonGraphFailed
	}
	return components.ReasonOther
}

// platformOf is the kind of device, from Graph's operatingSystem (free
// text) and, for iOS, the name or model, which tell an iPad apart.
func platformOf(os, nameOrModel string) components.Platform {
	switch os := strings.ToLower(os); {
	case strings.HasPrefix(os, "windows"):
		return components.PlatformWindows
	case os == "macos" || os == "mac os x":
		return components.PlatformMac
	case os == "ipados" || os == "ios" && strings.Contains(strings.ToLower(nameOrModel), "ipad"):
		return components.PlatformIPad
	case os == "ios":
		return components.PlatformIPhone
	case strings.HasPrefix(os, "android"):
		return components.PlatformAndroid
	}
	return ""
}
