package devidp

import (
	"bytes"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

//go:embed pages.html
var pagesHTML string

var pages = template.Must(template.New("pages").Parse(pagesHTML))

type pickerPage struct {
	AuthRequestID string
	ClientID      string
	People        []pickerPerson
}

type pickerPerson struct {
	ObjectID    string
	Name        string
	Username    string
	Description string
	TestID      string
}

// showPicker is where op sends the browser after validating /authorize.
func (p *Provider) showPicker(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	ar, err := p.storage.AuthRequestByID(r.Context(), id)
	if err != nil || ar.Done() {
		http.Error(w, "Unknown or expired sign-in request. Start again from the application.", http.StatusBadRequest)
		return
	}
	page := pickerPage{AuthRequestID: id, ClientID: ar.GetClientID()}
	for _, person := range p.people {
		local, _, _ := strings.Cut(person.Username, "@")
		page.People = append(page.People, pickerPerson{
			ObjectID:    person.ObjectID,
			Name:        person.Name,
			Username:    person.Username,
			Description: person.Description,
			TestID:      "pick-" + strings.ToLower(local),
		})
	}
	render(w, r, "picker", page)
}

// pick completes the auth request for the chosen person and hands the
// browser back to op, which issues the code to the client.
func (p *Provider) pick(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("authRequestID")
	if err := p.storage.completeAuthRequest(id, r.PostFormValue("person")); err != nil {
		http.Error(w, "Unknown or expired sign-in request, or unknown person. Start again from the application.", http.StatusBadRequest)
		return
	}
	// The picker is served outside op's router, so the issuer op builds the
	// callback URL from is not in the request context yet.
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(ctx, id), http.StatusSeeOther)
}

// endSession keeps RP-initiated logout from failing with a JSON error when
// the client names a post-logout redirect URI it never registered: the user
// is told they are signed out instead, and is not redirected there
// (OpenID Connect RP-Initiated Logout 1.0, section 3). Everything else is op's.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Malformed logout request.", http.StatusBadRequest)
		return
	}
	uri, clientID := r.Form.Get("post_logout_redirect_uri"), r.Form.Get("client_id")
	if uri != "" && clientID != "" {
		c, ok := p.storage.clients[clientID]
		if !ok || !slices.Contains(c.PostLogoutRedirectURIs(), uri) {
			p.signedOut(w, r)
			return
		}
	}
	p.op.ServeHTTP(w, r)
}

func (p *Provider) signedOut(w http.ResponseWriter, r *http.Request) {
	render(w, r, "signedout", nil)
}

func render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		slog.ErrorContext(r.Context(), "devidp: rendering page", "page", name, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	// No form-action: browsers apply it to the redirects after the POST,
	// which end at the client's origin.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	_, _ = buf.WriteTo(w)
}
