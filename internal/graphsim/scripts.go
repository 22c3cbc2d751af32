package graphsim

func (c *call) script(key string) (*Script, *apiError) {
	if !isGUID(key) {
		return nil, badRequest("Invalid key value '%s' for deviceManagementScripts: the key must be a GUID.", key)
	}
	sc := c.s.data.script(key)
	if sc == nil {
		return nil, c.intuneNotFound()
	}
	return sc, nil
}

// runState resolves the script and run-state keys of a run-state path.
func (c *call) runState() (*RunState, *apiError) {
	sc, err := c.script(c.keys[0])
	if err != nil {
		return nil, err
	}
	rs := c.s.data.runState(sc.ID, c.keys[1])
	if rs == nil {
		return nil, c.intuneNotFound()
	}
	return rs, nil
}

// runStateView applies $select and $expand; managedDevice is the only
// navigation a run state has.
func (c *call) runStateView() (*view, *apiError) {
	v, err := c.newView(runStateType)
	if err != nil {
		return nil, err
	}
	if e, ok := c.query["$expand"]; ok {
		if e[0] != "managedDevice" {
			return nil, badRequest("Could not find a property named '%s' on type '%s'.", e[0], runStateType.name)
		}
		v.expand = func(entity any) (string, any) {
			return "managedDevice", c.s.present(c.s.data.device(entity.(*RunState).DeviceID))
		}
	}
	return v, nil
}

func listScripts(c *call) *apiError {
	v, err := c.newView(scriptType)
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/deviceManagementScripts", c.s.data.t.Scripts, pageOptions{maxTop: maxTopIntune})
}

func getScript(c *call) *apiError {
	v, err := c.newView(scriptType)
	if err != nil {
		return err
	}
	sc, err := c.script(c.keys[0])
	if err != nil {
		return err
	}
	return c.writeEntity(v, "deviceManagement/deviceManagementScripts", sc)
}

func listRunStates(c *call) *apiError {
	v, err := c.runStateView()
	if err != nil {
		return err
	}
	sc, err := c.script(c.keys[0])
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/deviceManagementScripts('"+sc.ID+"')/deviceRunStates", c.s.data.runsOfScript[sc.ID], pageOptions{maxTop: maxTopIntune})
}

func getRunState(c *call) *apiError {
	v, err := c.runStateView()
	if err != nil {
		return err
	}
	rs, err := c.runState()
	if err != nil {
		return err
	}
	return c.writeEntity(v, "deviceManagement/deviceManagementScripts('"+rs.ScriptID+"')/deviceRunStates", rs)
}

func getRunDevice(c *call) *apiError {
	v, err := c.newView(deviceType)
	if err != nil {
		return err
	}
	rs, err := c.runState()
	if err != nil {
		return err
	}
	d, err := c.reachDevice(c.s.data.device(rs.DeviceID))
	if err != nil {
		return err
	}
	return c.writeEntity(v, "deviceManagement/managedDevices", d)
}

func listRunDeviceApps(c *call) *apiError {
	v, err := c.newView(appType)
	if err != nil {
		return err
	}
	rs, err := c.runState()
	if err != nil {
		return err
	}
	d, err := c.reachDevice(c.s.data.device(rs.DeviceID))
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/managedDevices('"+d.ID+"')/detectedApps", c.s.data.appsOfDevices[d.ID], pageOptions{maxTop: maxTopIntune})
}

// app resolves a detected-app key; its ids are not GUIDs, so any unknown
// key is simply not found.
func (c *call) app(key string) (*DetectedApp, *apiError) {
	app := c.s.data.app(key)
	if app == nil {
		return nil, c.intuneNotFound()
	}
	return app, nil
}

func getApp(c *call) *apiError {
	v, err := c.newView(appType)
	if err != nil {
		return err
	}
	app, err := c.app(c.keys[0])
	if err != nil {
		return err
	}
	return c.writeEntity(v, "deviceManagement/detectedApps", app)
}

func listAppDevices(c *call) *apiError {
	v, err := c.newView(deviceType)
	if err != nil {
		return err
	}
	app, err := c.app(c.keys[0])
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/detectedApps('"+app.ID+"')/managedDevices", c.s.data.appDevices[app.ID], pageOptions{maxTop: maxTopIntune})
}
