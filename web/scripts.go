package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
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
}

type scriptsHandler struct {
	graph  scriptReader
	tokens graphTokens
	now    func() time.Time
}

// failed says whether a run state is a failure worth a technician's look.
func failed(state string) bool {
	return state == "fail" || state == "scriptError" || state == "error"
}

// list shows the scripts with their count of failed runs. Intune offers
// no failure count on the script itself, so each script's runs are read,
// a few at a time.
func (h *scriptsHandler) list(c echo.Context) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, err := h.tokens.GraphToken(ctx)
	if err != nil {
		return err
	}
	scripts, err := h.graph.Scripts(ctx, token)
	if err != nil {
		noteError(c, err)
		return echo.NewHTTPError(http.StatusBadGateway, graphProblem(err, "list device scripts"))
	}
	rows := make([]pages.ScriptRow, len(scripts))
	var wg sync.WaitGroup
	limit := make(chan struct{}, 4)
	for i, s := range scripts {
		rows[i] = pages.ScriptRow{Name: orDash(s.DisplayName), Description: s.Description, RunAs: s.RunAsAccount,
			URL: withTicket(scriptPath(s.ID), ticket)}
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			runs, err := h.graph.RunStates(ctx, token, s.ID)
			if err != nil {
				rows[i].Failed = "?"
				return
			}
			n := 0
			for _, r := range runs {
				if failed(r.RunState) {
					n++
				}
			}
			rows[i].Failed, rows[i].Runs = strconv.Itoa(n), strconv.Itoa(len(runs))
		})
	}
	wg.Wait()
	return render(c, http.StatusOK, pages.Scripts(pages.ScriptsPage{Page: pageFor(c, "Device scripts"), Ticket: ticket, Rows: rows}))
}

// script shows one script's runs, failures first.
func (h *scriptsHandler) script(c echo.Context) error {
	ticket, err := ticketParam(c)
	if err != nil {
		return err
	}
	scriptID, err := idParam(c, "scriptId", graph.IsGUID, "A script is named by its id, a GUID.")
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
	)
	wg.Go(func() { script, scriptErr = h.graph.Script(ctx, token, scriptID) })
	wg.Go(func() { runs, runsErr = h.graph.RunStates(ctx, token, scriptID) })
	wg.Wait()
	if err := firstErr(scriptErr, runsErr); err != nil {
		return readFailure(c, err, "read this script")
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if failed(runs[i].RunState) != failed(runs[j].RunState) {
			return failed(runs[i].RunState)
		}
		return runs[i].LastStateUpdateDateTime.After(runs[j].LastStateUpdateDateTime)
	})
	m := pages.ScriptPage{Page: pageFor(c, script.DisplayName), Ticket: ticket, Name: orDash(script.DisplayName),
		Description: script.Description, ScriptsURL: withTicket("/scripts", ticket)}
	for _, r := range runs {
		row := pages.RunRow{
			State:     r.RunState,
			Failed:    failed(r.RunState),
			ErrorCode: strconv.Itoa(int(r.ErrorCode)),
			Message:   firstOf(r.ResultMessage, r.ErrorDescription),
			Updated:   r.LastStateUpdateDateTime.UTC().Format("2006-01-02 15:04 UTC"),
			RunURL:    withTicket(runPath(scriptID, r.ID), ticket),
		}
		if d := r.ManagedDevice; d != nil {
			row.Device, row.DeviceURL = orDash(d.DeviceName), withTicket(devicePath(d.ID), ticket)
			row.User = firstOf(d.UserDisplayName, d.UserPrincipalName)
			row.DeviceID = d.ID
			row.AssistURL = withTicket(runPath(scriptID, r.ID)+"/assistance", ticket)
		}
		m.Runs = append(m.Runs, row)
	}
	return render(c, http.StatusOK, pages.Script(m))
}

// run shows one run's device, with its detected apps to follow.
func (h *scriptsHandler) run(c echo.Context) error {
	ticket, scriptID, runStateID, err := runParams(c)
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
		run             graph.RunState
		apps            []graph.DetectedApp
		runErr, appsErr error
	)
	wg.Go(func() { run, runErr = h.graph.RunState(ctx, token, scriptID, runStateID) })
	wg.Go(func() { apps, appsErr = h.graph.RunDeviceApps(ctx, token, scriptID, runStateID) })
	wg.Wait()
	if err := firstErr(runErr, appsErr); err != nil {
		return readFailure(c, err, "read this script run")
	}
	m := pages.RunPage{Page: pageFor(c, "Script run"), Ticket: ticket, State: run.RunState,
		Message: firstOf(run.ResultMessage, run.ErrorDescription), ScriptURL: withTicket(scriptPath(scriptID), ticket)}
	if d := run.ManagedDevice; d != nil {
		p := deviceProps(*d, h.now(), withTicket(runPath(scriptID, runStateID)+"/assistance", ticket))
		p.DeviceURL = withTicket(devicePath(d.ID), ticket)
		m.Device = &p
	}
	for _, a := range apps {
		m.Apps = append(m.Apps, pages.AppRow{Name: orDash(a.DisplayName), Version: a.Version, Publisher: a.Publisher,
			Devices: strconv.Itoa(a.DeviceCount), URL: withTicket(runPath(scriptID, runStateID)+"/apps/"+url.PathEscape(a.ID), ticket)})
	}
	return render(c, http.StatusOK, pages.Run(m))
}

// appDevices lists the devices that have an app detected on a run's device.
func (h *scriptsHandler) appDevices(c echo.Context) error {
	ticket, scriptID, runStateID, err := runParams(c)
	if err != nil {
		return err
	}
	appID, err := idParam(c, "appId", graph.IsDetectedAppID, "A detected app is named by its id, 64 hexadecimal digits.")
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
	devices, err := h.graph.AppDevices(ctx, token, appID, show+1)
	if err != nil {
		return readFailure(c, err, "list the devices that have this app")
	}
	m := pages.AppPage{Page: pageFor(c, "Devices with an app"), Ticket: ticket, RunURL: withTicket(runPath(scriptID, runStateID), ticket),
		More: moreProps(c, show, len(devices))}
	if len(devices) > show {
		devices = devices[:show]
	}
	now := h.now()
	for _, d := range devices {
		p := deviceProps(d, now, withTicket(runPath(scriptID, runStateID)+"/apps/"+url.PathEscape(appID)+"/devices/"+url.PathEscape(d.ID)+"/assistance", ticket))
		p.DeviceURL = withTicket(devicePath(d.ID), ticket)
		m.Devices = append(m.Devices, p)
	}
	return render(c, http.StatusOK, pages.App(m))
}

func runParams(c echo.Context) (ticket, scriptID, runStateID string, err error) {
	if ticket, err = ticketParam(c); err != nil {
		return
	}
	const problem = "The script or run id in this address is not valid."
	if scriptID, err = idParam(c, "scriptId", graph.IsGUID, problem); err != nil {
		return
	}
	runStateID, err = idParam(c, "runStateId", graph.IsRunStateID, problem)
	return
}

// readFailure turns a failed Graph read into a 404 or 502 page.
func readFailure(c echo.Context, err error, what string) error {
	noteError(c, err)
	if graph.IsNotFound(err) {
		return echo.NewHTTPError(http.StatusNotFound, "Intune has no such object for you: it was deleted, or it is outside your scope tags.")
	}
	return echo.NewHTTPError(http.StatusBadGateway, graphProblem(err, what))
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
