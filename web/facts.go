package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// deviceFacts are what a page showed about a device and its user, as Graph
// gave them. They travel with a request for assistance, signed by the
// portal, so that the audit trail records Graph's names, not a browser's
// word, without asking Graph again.
type deviceFacts struct {
	DeviceID, Name, OS, UserName, UserUPN string
}

// factsOf are a device's facts; the person is the one the page shows with
// it (a user page's user, a device's primary user), else its enrolling user.
func factsOf(d graph.ManagedDevice, user graph.User) deviceFacts {
	if user.ID == "" && user.UserPrincipalName == "" {
		user = graph.User{DisplayName: d.UserDisplayName, UserPrincipalName: d.UserPrincipalName}
	}
	return deviceFacts{DeviceID: strings.ToLower(d.ID), Name: d.DeviceName, OS: deviceOS(d),
		UserName: user.DisplayName, UserUPN: user.UserPrincipalName}
}

// deviceOS is Graph's operatingSystem, except that an iPad is iPadOS:
// Intune has written iOS for both, and the caller is told which to pick up.
func deviceOS(d graph.ManagedDevice) string {
	if strings.EqualFold(d.OperatingSystem, "iOS") && strings.Contains(strings.ToLower(d.Model), "ipad") {
		return "iPadOS"
	}
	return d.OperatingSystem
}

// factsKey signs device facts; every instance must hold the same key. Its
// HMACs are reused (a page signs one form per device, and setting up an
// HMAC costs two more blocks of SHA-256 than the facts themselves).
type factsKey struct {
	macs *sync.Pool
}

func newFactsKey(key []byte) factsKey {
	return factsKey{&sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// factsFields are the facts as the hidden fields of a request form.
func (k factsKey) fields(f deviceFacts) []components.Field {
	return []components.Field{
		{Name: "device_name", Value: f.Name},
		{Name: "device_os", Value: f.OS},
		{Name: "user_name", Value: f.UserName},
		{Name: "user_upn", Value: f.UserUPN},
		{Name: "facts", Value: k.sign(f)},
	}
}

// read takes the facts a request carries for deviceID, refusing a request
// whose facts the portal did not sign for that device.
func (k factsKey) read(c echo.Context, deviceID string) (deviceFacts, error) {
	f := deviceFacts{DeviceID: deviceID, Name: c.FormValue("device_name"), OS: c.FormValue("device_os"),
		UserName: c.FormValue("user_name"), UserUPN: c.FormValue("user_upn")}
	if !hmac.Equal([]byte(c.FormValue("facts")), []byte(k.sign(f))) {
		return deviceFacts{}, echo.NewHTTPError(http.StatusBadRequest, i18n.M("assist.badFacts"))
	}
	return f, nil
}

// sign is an HMAC over the facts, each length-prefixed so that no two
// different sets of facts share an encoding.
func (k factsKey) sign(f deviceFacts) string {
	m := k.macs.Get().(hash.Hash)
	defer k.macs.Put(m)
	m.Reset()
	var n [binary.MaxVarintLen64]byte
	for _, v := range []string{"assistdesk device facts v1", f.DeviceID, f.Name, f.OS, f.UserName, f.UserUPN} {
		m.Write(binary.AppendUvarint(n[:0], uint64(len(v))))
		io.WriteString(m, v)
	}
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}
