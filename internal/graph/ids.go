package graph

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Ids arrive in URLs a technician (or anyone) can type; each kind is checked
// by its own rule before it becomes part of a Graph URL.

var (
	guidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	detectedAppID   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	runStateID      = regexp.MustCompile(`^[A-Za-z0-9_:.-]{1,128}$`)
	upnLocalPattern = regexp.MustCompile(`^[A-Za-z0-9'._!#^~+\-$%&*=?{|}]+$`)
	upnDomain       = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
)

// ErrInvalidID means an id did not look like its kind; no call was made.
var ErrInvalidID = errors.New("graph: invalid id")

// IsGUID reports whether s is an object id (users, devices, scripts).
func IsGUID(s string) bool { return guidPattern.MatchString(s) }

// IsDetectedAppID reports whether s is a detected-app id (64 hex digits).
func IsDetectedAppID(s string) bool { return detectedAppID.MatchString(s) }

// IsRunStateID reports whether s is a plausible script run-state id. They
// are not documented as GUIDs, so a conservative character set and length.
func IsRunStateID(s string) bool { return runStateID.MatchString(s) }

// IsUPN reports whether s is a user principal name: a local part with the
// characters Entra allows (guests carry #EXT#, some names carry '), @, and
// a DNS domain; 113 characters at most, as Entra enforces.
func IsUPN(s string) bool {
	if len(s) > 113 || !utf8.ValidString(s) {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") ||
		strings.Contains(local, "..") {
		return false
	}
	// A guest's UPN has a second @ after #EXT#: alice_fabrikam.com#EXT#@contoso.com
	return upnLocalPattern.MatchString(local) && upnDomain.MatchString(domain)
}

// IsUserRef reports whether s names a user: an object id or a UPN.
func IsUserRef(s string) bool { return IsGUID(s) || IsUPN(s) }
