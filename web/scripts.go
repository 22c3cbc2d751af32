package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/components"
	"github.com/assistdesk/assistdesk/views/i18n"
	"github.com/assistdesk/assistdesk/views/pages"
)

// scriptReader reads device scripts, their runs and detected apps.
type scriptReader interface {
	Scripts(ctx context.Context, token string) ([]graph.Script, error)
	Script(ctx context.Context, token, scriptID string) (graph.Script, error)
	RunStates(ctx context.Context, token, scriptID string) ([]graph.RunState, error)
	RunState(ctx context.Context, token, scriptID, runStateID string) (graph.RunState, error)
	RunDeviceApps(ctx context.Context, token, scriptID, runStateID string) ([]graph.DetectedApp, error)
	AppDevices(ctx context.Context, token, appID string, limit int) ([]graph.ManagedDevice, error)
	App(ctx context.Context, token, appID string) (graph.DetectedApp, error)
}

type scriptsHandler struct {
	graph     scriptReader
	tokens    graphTokens
	cards     deviceCards
	connector *connectorStates
}

// runGroup puts a run state in one of the groups a script page counts and
// filters by: Intune's states, with its three ways of failing as one.
func runGroup(state string) string {
	switch state {
	case "fail", "scriptError", "error":
		return "failed"
	case "success", "pending", "notApplicable":
		return state
	}
	return "unknown"
}

// failed says whether a run state is a failure worth a technician's look.
func failed(state string) bool { return runGroup(state) == "failed" }

// list shows the scripts with their count of failed runs. Intune offers
// no failure count on the script itself, so each script's runs are read,
// a few at a time.
func (h *scriptsHandler) list(c echo.Context) error {
	ticket := pageTicket(c)
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	scripts, err := h.graph.Scripts(ctx, token)
	if err != nil {
		return readFailure(c, err, "read.scripts")
	}
	rows := make([]pages.ScriptRow, len(scripts))
	var wg sync.WaitGroup
	limit := make(chan struct{}, 4)
	for i, s := range scripts {
		rows[i] = pages.ScriptRow{Name: orDash(s.DisplayName), Description: s.Description, RunAs: s.RunAsAccount,
			URL: withTicket(scriptPath(strings.ToLower(s.ID)), ticket.Ref)}
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			runs, err := h.graph.RunStates(ctx, token, s.ID)
			if err != nil {
				rows[i].Unread = true
				return
			}
			n := 0
			for _, r := range runs {
				if failed(r.RunState) {
					n++
				}
			}
			rows[i].Failed, rows[i].Runs = n, len(runs)
		})
	}
	wg.Wait()
	return render(c, http.StatusOK, pages.Scripts(pages.ScriptsPage{Page: pageFor(c, i18n.M("scripts.title")), Ticket: ticket, Rows: rows}))
}

// script shows one script's runs: how many in each state, then the runs
// in a compact table, failures first, filtered by state and paged.
func (h *scriptsHandler) script(c echo.Context) error {
	ticket := pageTicket(c)
	scriptID, err := idParam(c, "scriptId", graph.IsGUID, i18n.M("params.badScriptID"))
	if err != nil {
		return err
	}
	group := c.QueryParam("state")
	if group != "" && !slices.Contains(runGroups, group) {
		return echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badState", strings.Join(runGroups, ", ")))
	}
	show, err := showParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	var (
		wg                 sync.WaitGroup
		script             graph.Script
		runs               []graph.RunState
		scriptErr, runsErr error
		connector          string
	)
	wg.Go(func() { script, scriptErr = h.graph.Script(ctx, token, scriptID) })
	wg.Go(func() { runs, runsErr = h.graph.RunStates(ctx, token, scriptID) })
	wg.Go(func() { connector = h.connector.status(ctx, technicianOf(c).Key(), token) })
	wg.Wait()
	if err := firstErr(scriptErr, runsErr); err != nil {
		return readFailure(c, err, "read.script")
	}
	m := pages.ScriptPage{Page: pageFor(c, i18n.Data(script.DisplayName)), Ticket: ticket, Name: orDash(script.DisplayName),
		Description: script.Description, ScriptsURL: withTicket("/scripts", ticket.Ref), State: group, Connector: connector}
	counts := map[string]int{}
	for _, r := range runs {
		counts[runGroup(r.RunState)]++
	}
	base := scriptPath(scriptID)
	for _, g := range runGroups {
		q := url.Values{"state": {g}}
		if ticket.Ref != "" {
			q.Set("ticket", ticket.Ref)
		}
		m.Summary = append(m.Summary, pages.RunCount{Group: g, Count: counts[g], URL: base + "?" + q.Encode()})
	}
	m.AllURL, m.Total = withTicket(base, ticket.Ref), len(runs)
	runs = slices.DeleteFunc(runs, func(r graph.RunState) bool { return group != "" && runGroup(r.RunState) != group })
	slices.SortStableFunc(runs, func(a, b graph.RunState) int {
		if failed(a.RunState) != failed(b.RunState) {
			if failed(a.RunState) {
				return -1
			}
			return 1
		}
		return b.LastStateUpdateDateTime.Compare(a.LastStateUpdateDateTime)
	})
	m.More = moreProps(c, show, len(runs))
	runs = runs[:min(len(runs), show)]

	// The failed runs' devices, each with its request control and latest request.
	var devices []graph.ManagedDevice
	runOf := map[string]graph.RunState{}
	for _, r := range runs {
		if d := r.ManagedDevice; d != nil && failed(r.RunState) && graph.IsGUID(d.ID) {
			devices = append(devices, *d)
			runOf[strings.ToLower(d.ID)] = r
		}
	}
	cards, err := h.cards.cards(c, devices, cardsOf{
		assist: func(d graph.ManagedDevice) string {
			return runPath(scriptID, runOf[strings.ToLower(d.ID)].ID) + "/assistance"
		},
		connector: connector,
		ticket:    ticket.Ref,
	})
	m.RequestsMissing = err != nil
	assists := map[string]components.AssistProps{}
	for _, card := range cards {
		card.Assist.Compact = true
		assists[card.ID] = card.Assist
	}
	for _, r := range runs {
		row := pages.RunRow{
			State:     r.RunState,
			Failed:    failed(r.RunState),
			ErrorCode: int(r.ErrorCode),
			Message:   firstOf(r.ResultMessage, r.ErrorDescription),
			Updated:   r.LastStateUpdateDateTime,
			RunURL:    withTicket(runPath(scriptID, r.ID), ticket.Ref),
		}
		if d := r.ManagedDevice; d != nil {
			id := strings.ToLower(d.ID)
			row.Device, row.DeviceURL = orDash(d.DeviceName), withTicket(devicePath(id), ticket.Ref)
			row.User = firstOf(d.UserDisplayName, d.UserPrincipalName)
			if a, ok := assists[id]; ok {
				row.Assist = &a
			}
		}
		m.Runs = append(m.Runs, row)
	}
	return render(c, http.StatusOK, pages.Script(m))
}

// runGroups are the groups of run states, in the order a page lists them.
var runGroups = []string{"failed", "success", "pending", "notApplicable", "unknown"}

// run shows one run: the script, its device and user, and the apps
// detected on the device, to find other devices that have them.
func (h *scriptsHandler) run(c echo.Context) error {
	ticket := pageTicket(c)
	scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	var (
		wg                         sync.WaitGroup
		script                     graph.Script
		run                        graph.RunState
		apps                       []graph.DetectedApp
		scriptErr, runErr, appsErr error
		connector                  string
	)
	wg.Go(func() { script, scriptErr = h.graph.Script(ctx, token, scriptID) })
	wg.Go(func() { run, runErr = h.graph.RunState(ctx, token, scriptID, runStateID) })
	wg.Go(func() { apps, appsErr = h.graph.RunDeviceApps(ctx, token, scriptID, runStateID) })
	wg.Go(func() { connector = h.connector.status(ctx, technicianOf(c).Key(), token) })
	wg.Wait()
	if err := firstErr(scriptErr, runErr, appsErr); err != nil {
		return readFailure(c, err, "read.run")
	}
	m := pages.RunPage{Ticket: ticket, Script: orDash(script.DisplayName), State: run.RunState, ErrorCode: int(run.ErrorCode),
		Message: firstOf(run.ResultMessage, run.ErrorDescription), Updated: run.LastStateUpdateDateTime,
		ScriptURL: withTicket(scriptPath(scriptID), ticket.Ref), Connector: connector}
	title := i18n.Data(m.Script)
	if d := run.ManagedDevice; d != nil {
		cards, err := h.cards.cards(c, []graph.ManagedDevice{*d}, cardsOf{
			assist:    func(graph.ManagedDevice) string { return runPath(scriptID, runStateID) + "/assistance" },
			connector: connector,
			ticket:    ticket.Ref,
		})
		m.RequestsMissing = err != nil
		m.Device = &cards[0]
		m.Device.URL = withTicket(devicePath(m.Device.ID), ticket.Ref)
		title = i18n.M("run.title", m.Script, m.Device.Name)
	}
	m.Page = pageFor(c, title)
	for _, a := range apps {
		m.Apps = append(m.Apps, pages.AppRow{Name: orDash(a.DisplayName), Version: a.Version, Publisher: a.Publisher,
			Devices: a.DeviceCount, URL: withTicket(runPath(scriptID, runStateID)+"/apps/"+url.PathEscape(a.ID), ticket.Ref)})
	}
	return render(c, http.StatusOK, pages.Run(m))
}

// appDevices lists the devices that have an app detected on a run's device.
func (h *scriptsHandler) appDevices(c echo.Context) error {
	ticket := pageTicket(c)
	scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	appID, err := idParam(c, "appId", graph.IsDetectedAppID, i18n.M("params.badAppID"))
	if err != nil {
		return err
	}
	show, err := showParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	var (
		wg              sync.WaitGroup
		app             graph.DetectedApp
		devices         []graph.ManagedDevice
		appErr, listErr error
		connector       string
	)
	wg.Go(func() { app, appErr = h.graph.App(ctx, token, appID) })
	wg.Go(func() { devices, listErr = h.graph.AppDevices(ctx, token, appID, show+1) })
	wg.Go(func() { connector = h.connector.status(ctx, technicianOf(c).Key(), token) })
	wg.Wait()
	if err := firstErr(appErr, listErr); err != nil {
		return readFailure(c, err, "read.appDevices")
	}
	name := orDash(app.DisplayName)
	m := pages.AppPage{Page: pageFor(c, i18n.M("detected.title", name)), Ticket: ticket, App: name, Version: app.Version, Publisher: app.Publisher,
		RunURL: withTicket(runPath(scriptID, runStateID), ticket.Ref), More: moreProps(c, show, len(devices)), Connector: connector}
	devices = devices[:min(len(devices), show)]
	m.Devices, err = h.cards.cards(c, devices, cardsOf{
		assist: func(d graph.ManagedDevice) string {
			return runPath(scriptID, runStateID) + "/apps/" + url.PathEscape(appID) + "/devices/" + strings.ToLower(d.ID) + "/assistance"
		},
		signed:    true,
		connector: connector,
		ticket:    ticket.Ref,
	})
	m.RequestsMissing = err != nil
	for i, d := range m.Devices {
		m.Devices[i].URL = withTicket(devicePath(d.ID), ticket.Ref)
	}
	return render(c, http.StatusOK, pages.App(m))
}

// runParams reads a script run's ids.
func runParams(c echo.Context) (scriptID, runStateID string, err error) {
	problem := i18n.M("params.badRunID")
	if scriptID, err = idParam(c, "scriptId", graph.IsGUID, problem); err != nil {
		return
	}
	runStateID, err = idParam(c, "runStateId", graph.IsRunStateID, problem)
	return
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func scriptPath(id string) string { return "/scripts/" + url.PathEscape(id) }

func runPath(scriptID, runStateID string) string {
	return scriptPath(scriptID) + "/runs/" + url.PathEscape(runStateID)
}
