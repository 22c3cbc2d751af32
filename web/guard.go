package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/layouts"
	"github.com/assistdesk/assistdesk/views/pages"
)

const (
	technicianKey = "technician"
	csrfKey       = "csrf"
	rolesKey      = "roles"
)

// roles is what the signed-in person may do, for the navigation.
type roles struct{ technician, auditor bool }

// guard admits signed-in, authorised technicians and sends everyone else
// to sign in (or to a page that says what they lack).
type guard struct {
	auth *auth.Service
}

// technician admits those who may search and request assistance.
func (g *guard) technician(next echo.HandlerFunc) echo.HandlerFunc {
	return g.admit(next, "auth.areaTechnician", g.auth.Policy().IsTechnician, g.auth.Policy().TechnicianRequirement)
}

// auditor admits those who may read the audit trail; an auditor need not
// be a technician.
func (g *guard) auditor(next echo.HandlerFunc) echo.HandlerFunc {
	return g.admit(next, "auth.areaAuditor", g.auth.Policy().IsAuditor, g.auth.Policy().AuditorRequirement)
}

// admit lets in those allowed; area is the message that names what the
// others are kept from.
func (g *guard) admit(next echo.HandlerFunc, area string, allowed func(auth.Technician) bool, requirement func() auth.Requirement) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		t, ok := g.auth.Current(ctx)
		if !ok {
			return signInAgain(c)
		}
		// Pages of a signed-in person must not outlive the session in a cache.
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Set(technicianKey, t)
		c.SetRequest(c.Request().WithContext(withReading(ctx, &reading{technician: t.Key(), fresh: c.QueryParam("fresh") != ""})))
		c.Set(csrfKey, g.auth.CSRFToken(ctx))
		c.Set(rolesKey, roles{technician: g.auth.Policy().IsTechnician(t), auditor: g.auth.Policy().IsAuditor(t)})
		if !allowed(t) {
			return render(c, http.StatusForbidden, pages.Problem(pages.ProblemPage{
				Page: pageFor(c, i18n.M("auth.notAuthorised")),
				Problem: components.ProblemProps{
					Status: http.StatusForbidden,
					Title:  i18n.M("auth.notAuthorised"),
					Detail: i18n.M("auth.notAuthorisedHere", t.DisplayName(), i18n.M(area), requirementText(requirement())),
				},
			}))
		}
		return next(c)
	}
}

// signInAgain sends the browser to sign in and back. htmx requests get
// HX-Redirect, so that a sign-in page is never swapped into a fragment.
func signInAgain(c echo.Context) error {
	return signInAgainWith(c, "")
}

// signInAgainWith does the same for a Graph claims challenge (Conditional
// Access, continuous access evaluation): straight to the provider with the
// claims it asked for, and back to the page.
func signInAgainWith(c echo.Context, claims string) error {
	r := c.Request()
	returnTo := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Coming back to a POST's address would be a 405: the page it was
		// sent from (HX-Current-URL) is where to return.
		returnTo = "/"
	}
	if r.Header.Get("HX-Request") == "true" {
		if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil {
			returnTo = u.RequestURI()
		}
		q := url.Values{}
		switch {
		case claims != "":
			q.Set("start", "1")
			q.Set("claims", claims)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			// The sign-in page says that what was clicked was not done,
			// so nobody comes back believing Intune was asked.
			q.Set("not_done", "1")
		}
		c.Response().Header().Set("HX-Redirect", loginURL(returnTo, q))
		return c.NoContent(http.StatusUnauthorized)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return echo.NewHTTPError(http.StatusUnauthorized, i18n.M("auth.sessionEnded"))
	}
	return c.Redirect(http.StatusSeeOther, loginURL(returnTo, nil))
}

// loginURL is the sign-in page with q (start=1 goes on to the identity
// provider), coming back to returnTo.
func loginURL(returnTo string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if returnTo = auth.SafeReturnTo(returnTo); returnTo != "/" {
		q.Set("return_to", returnTo)
	}
	if len(q) == 0 {
		return "/login"
	}
	return "/login?" + q.Encode()
}

func technicianOf(c echo.Context) auth.Technician {
	t, _ := c.Get(technicianKey).(auth.Technician)
	return t
}

// pageFor is the frame of a page for the signed-in technician, carrying
// the anti-forgery token that htmx and the sign-out form send back.
func pageFor(c echo.Context, title i18n.Text) layouts.Page {
	t := technicianOf(c)
	csrf, _ := c.Get(csrfKey).(string)
	r, _ := c.Get(rolesKey).(roles)
	section := "search"
	switch path := c.Path(); {
	case strings.HasPrefix(path, "/audit"):
		section = "audit"
	case strings.HasPrefix(path, "/scripts"):
		section = "scripts"
	}
	return layouts.Page{Title: title, Here: here(c), Technician: t.DisplayName(), Username: t.Username, CSRFToken: csrf,
		ShowSearch: r.technician, ShowAudit: r.auditor, Section: section,
		ReadAt: readAt(c.Request().Context()), RefreshURL: refreshURL(c)}
}

// refreshURL is this page read fresh from Graph, not from the cache.
func refreshURL(c echo.Context) string {
	u := *c.Request().URL
	q := u.Query()
	q.Set("fresh", "1")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// here is where a change of language brings the technician back: this
// page, or the start for the answer to a form (its address takes POSTs).
func here(c echo.Context) string {
	if r := c.Request(); r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	return "/"
}

// requirementText says what a person needs to be let in.
func requirementText(r auth.Requirement) i18n.Text {
	roles := i18n.M("auth.needRoles", len(r.Roles), strings.Join(r.Roles, ", "))
	groups := i18n.M("auth.needGroups", len(r.Groups), strings.Join(r.Groups, ", "))
	switch {
	case len(r.Roles) > 0 && len(r.Groups) > 0:
		return i18n.M("auth.needEither", roles, groups)
	case len(r.Roles) > 0:
		return roles
	case len(r.Groups) > 0:
		return groups
	}
	return i18n.M("auth.needUnconfigured")
}
