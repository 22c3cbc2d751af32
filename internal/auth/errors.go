package auth

import (
	"errors"
	"fmt"
)

// ErrUnknownState means the callback's state matches no sign-in started in
// this browser: forged, replayed, or started in another browser.
var ErrUnknownState = errors.New("auth: this sign-in was not started in this browser, or was already used")

// ErrSignInExpired means the sign-in took longer than signInTimeout.
var ErrSignInExpired = errors.New("auth: this sign-in took too long and expired")

// ErrCodeRefused means the provider's token endpoint refused the code the
// callback carried: forged, used already, or expired. It is the client's
// doing, not an outage.
var ErrCodeRefused = errors.New("auth: the identity provider did not accept the sign-in code")

// ProviderError is an error the identity provider sent back to the callback
// (for Entra an AADSTS code in the description). Both fields are untrusted.
type ProviderError struct {
	Code, Description string
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("auth: the identity provider refused the sign-in: %s", e.Code)
}

// NotAuthorisedError means the person signed in but holds neither a
// technician nor an auditor role or group.
type NotAuthorisedError struct {
	Technician  Technician
	Requirement Requirement
}

func (e *NotAuthorisedError) Error() string {
	return fmt.Sprintf("auth: %s is not authorised (needs %s)", e.Technician.Key(), e.Requirement)
}
