package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/internal/ratelimit"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/layouts"
	"github.com/assistdesk/assistdesk/views/pages"
)

// signInFlow is what the sign-in handlers need from internal/auth.
type signInFlow interface {
	Current(ctx context.Context) (auth.Technician, bool)
	Begin(ctx context.Context, returnTo, claims string) (string, error)
	Complete(ctx context.Context, query url.Values) (string, error)
	SignOut(ctx context.Context, signInPage string) (string, error)
}

type authHandler struct {
	auth      signInFlow
	policy    auth.Policy
	publicURL *url.URL
	// browsers limits sign-in starts per browser; addresses bounds what
	// one address may start in all, against floods of new browsers.
	browsers, addresses *ratelimit.Limiter
	clientIP            func(c echo.Context) string
	// reads are forgotten at sign-out.
	reads cachedGraph
}

// browserCookie names a browser for the sign-in limit, so that one
// browser, or a page elsewhere that sends it to /login, cannot use up the
// starts of a whole office behind one address. It is no session: a random
// name, set when the sign-in page is shown.
const browserCookie = "assistdesk_browser"

// login shows the sign-in page, or with start=1 sends the browser to the
// identity provider. A technician already signed in goes straight back.
func (h *authHandler) login(c echo.Context) error {
	ctx := c.Request().Context()
	returnTo := auth.SafeReturnTo(c.QueryParam("return_to"))
	claims, err := claimsParam(c.QueryParam("claims"))
	if err != nil {
		return err
	}
	// A claims challenge asks for a new sign-in even of someone signed in.
	if _, ok := h.auth.Current(ctx); ok && claims == "" {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	// A start another site sent the browser to shows the page instead:
	// the technician sees where they are going, and that site spends no
	// one's allowance. (Browsers too old to say where a request came from
	// send no Sec-Fetch-Site and are let through.)
	if c.QueryParam("start") == "" || crossSite(c.Request()) {
		c.Response().Header().Set("Cache-Control", "no-store")
		h.nameBrowser(c)
		return render(c, http.StatusOK, pages.SignIn(pages.SignInPage{
			StartURL:  loginURL(returnTo, url.Values{"start": {"1"}}),
			SignedOut: c.QueryParam("signed_out") != "",
			NotDone:   c.QueryParam("not_done") != "",
			Here:      returnTo, // signed out, it leads back here
		}))
	}
	ip := h.clientIP(c)
	if ok, wait := h.addresses.Allow(ip); !ok {
		return tooMany(c, wait, "limit.signInsAddress")
	}
	browser := "address " + ip
	if ck, err := c.Cookie(browserCookie); err == nil && isRequestID(ck.Value) {
		browser = "browser " + ck.Value
	}
	if ok, wait := h.browsers.Allow(browser); !ok {
		return tooMany(c, wait, "limit.signInsBrowser")
	}
	target, err := h.auth.Begin(ctx, returnTo, claims)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// crossSite reports whether the browser says the request came from another
// site ("none" is a typed address or a bookmark).
func crossSite(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "cross-site" || site == "same-site"
}

// nameBrowser gives a browser its name for the sign-in limit, once.
func (h *authHandler) nameBrowser(c echo.Context) {
	if ck, err := c.Cookie(browserCookie); err == nil && isRequestID(ck.Value) {
		return
	}
	c.SetCookie(&http.Cookie{Name: browserCookie, Value: rand.Text(), Path: "/", HttpOnly: true,
		Secure: h.publicURL.Scheme == "https", SameSite: http.SameSiteLaxMode})
}

// callback finishes the sign-in and returns the technician to the page they
// first asked for.
func (h *authHandler) callback(c echo.Context) error {
	ctx := c.Request().Context()
	returnTo, err := h.auth.Complete(ctx, c.QueryParams())
	if err != nil {
		return h.signInFailed(c, err)
	}
	// An auditor who is not a technician has no use for the search page.
	if t, _ := h.auth.Current(ctx); returnTo == "/" && !h.policy.IsTechnician(t) && h.policy.IsAuditor(t) {
		returnTo = "/audit"
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

var (
	aadstsCode = regexp.MustCompile(`\bAADSTS\d{4,6}\b`)
	// errorCode is what an OAuth error code looks like; anything else is
	// not shown back, since the parameter comes from a URL anyone can craft.
	errorCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// providerSentences explains the sign-in refusals a technician meets most.
var providerSentences = map[string]string{
	"access_denied":        "signIn.accessDenied",
	"consent_required":     "signIn.consentRequired",
	"interaction_required": "signIn.interactionRequired",
	"login_required":       "signIn.loginRequired",
	"AADSTS50105":          "signIn.notAssigned",
	"AADSTS65001":          "signIn.consentRequired",
	"AADSTS53003":          "signIn.conditionalAccess",
	"AADSTS50076":          "signIn.mfaRequired",
}

func (h *authHandler) signInFailed(c echo.Context, err error) error {
	problem := components.ProblemProps{
		Status:     http.StatusBadRequest,
		Title:      i18n.M("signIn.failed"),
		ActionText: i18n.M("signIn.again"),
		ActionURL:  "/login",
	}
	var provider *auth.ProviderError
	var denied *auth.NotAuthorisedError
	switch {
	case errors.As(err, &provider):
		// The description is attacker-controllable text from a URL: only a
		// recognised AADSTS code is taken from it, never the sentence itself.
		code := provider.Code
		if !errorCode.MatchString(code) {
			code = "unrecognised_error"
		}
		if aad := aadstsCode.FindString(provider.Description); aad != "" {
			code = aad
		}
		problem.Title = i18n.M("signIn.refused")
		problem.Code = code
		problem.Detail = i18n.M(firstOf(providerSentences[code], providerSentences[provider.Code], "signIn.refusedOther"))
	case errors.Is(err, auth.ErrUnknownState), errors.Is(err, auth.ErrSignInExpired):
		problem.Title = i18n.M("signIn.stale")
		problem.Detail = i18n.M("signIn.staleState")
	case errors.Is(err, auth.ErrCodeRefused):
		// Bad input from the browser, not an outage: a warning, not an error.
		noteError(c, err)
		problem.Title = i18n.M("signIn.stale")
		problem.Detail = i18n.M("signIn.staleCode")
	case errors.As(err, &denied):
		problem.Status = http.StatusForbidden
		problem.Title = i18n.M("auth.notAuthorised")
		problem.Detail = i18n.M("auth.notAuthorisedAtAll", denied.Technician.DisplayName(), requirementText(denied.Requirement))
		problem.ActionText = i18n.M("signIn.someoneElse")
	default:
		problem.Status = http.StatusBadGateway
		problem.Title = i18n.M("signIn.unverified")
		problem.Detail = i18n.M("signIn.unverifiedDetail")
		noteError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, problem.Status, pages.Problem(pages.ProblemPage{Page: layouts.Page{Title: problem.Title}, Problem: problem}))
}

// logout ends the session here and at the provider. It is a POST: a GET
// to /logout changes nothing.
func (h *authHandler) logout(c echo.Context) error {
	if t, ok := h.auth.Current(c.Request().Context()); ok {
		h.reads.forgetTechnician(t.Key())
	}
	target, err := h.auth.SignOut(c.Request().Context(), h.publicURL.JoinPath("/login").String()+"?signed_out=1")
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// claimsParam reads the claims a challenge asked for: base64 of a JSON
// object, passed on to the provider as the JSON itself.
func claimsParam(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	b, err := base64.URLEncoding.DecodeString(raw)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(raw)
	}
	var obj map[string]any
	if err != nil || len(b) > 4096 || json.Unmarshal(b, &obj) != nil {
		return "", echo.NewHTTPError(http.StatusBadRequest, i18n.M("signIn.badClaims"))
	}
	return string(b), nil
}
