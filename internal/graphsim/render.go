package graphsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// entityType is what $select needs to know about a Graph type.
type entityType struct {
	name   string   // e.g. microsoft.graph.user, for error messages
	props  []string // JSON names, in the order Graph writes them
	hidden []string // returned only when selected
}

func newEntityType(name string, sample any, hidden ...string) *entityType {
	et := &entityType{name: name, hidden: hidden}
	t := reflect.TypeOf(sample)
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != "-" {
			et.props = append(et.props, tag)
		}
	}
	return et
}

var (
	userType     = newEntityType("microsoft.graph.user", User{}, "department", "accountEnabled", "userType")
	deviceType   = newEntityType("microsoft.graph.managedDevice", ManagedDevice{})
	scriptType   = newEntityType("microsoft.graph.deviceManagementScript", Script{})
	runStateType = newEntityType("microsoft.graph.deviceManagementScriptDeviceState", RunState{})
	appType      = newEntityType("microsoft.graph.detectedApp", DetectedApp{})
)

// view is how one response shows entities of a type: the properties it
// writes, and optionally a navigation expanded into each.
type view struct {
	et     *entityType
	props  []string
	expand func(any) (string, any)
}

// newView applies $select. Property names are case-sensitive here: Graph
// is not always lenient, and a client that spells them right works on both.
func (c *call) newView(et *entityType) (*view, *apiError) {
	v := &view{et: et}
	sel, ok := c.query["$select"]
	if !ok {
		for _, p := range et.props {
			if !slices.Contains(et.hidden, p) {
				v.props = append(v.props, p)
			}
		}
		return v, nil
	}
	selected := map[string]bool{}
	for name := range strings.SplitSeq(sel[0], ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(et.props, name) {
			return nil, badRequest("Could not find a property named '%s' on type '%s'.", name, et.name)
		}
		selected[name] = true
	}
	for _, p := range et.props {
		if selected[p] {
			v.props = append(v.props, p)
		}
	}
	return v, nil
}

// without drops properties the caller may not see.
func (v *view) without(drop func(string) bool) *view {
	w := *v
	w.props = slices.DeleteFunc(slices.Clone(v.props), drop)
	return &w
}

// render writes one entity, with any leading annotations, as an object.
func (v *view) render(entity any, annotations ...string) (json.RawMessage, error) {
	full, err := marshal(entity)
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(full, &all); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	write := func(name string, value json.RawMessage) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, _ := marshal(name) // a string always marshals
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	for i := 0; i+1 < len(annotations); i += 2 {
		value, _ := marshal(annotations[i+1])
		write(annotations[i], value)
	}
	for _, p := range v.props {
		write(p, all[p])
	}
	if v.expand != nil {
		name, nav := v.expand(entity)
		value, err := marshal(nav)
		if err != nil {
			return nil, err
		}
		write(name, value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// contextURL is the @odata.context Graph writes: the metadata document and
// what the response holds, with the selected properties, and whether it
// is a single entity.
func (c *call) contextURL(what string, v *view, entity bool) string {
	u := c.s.baseURL + "/" + c.segs[0] + "/$metadata#" + what
	if _, ok := c.query["$select"]; ok {
		u += "(" + strings.Join(v.props, ",") + ")"
	}
	if entity {
		u += "/$entity"
	}
	return u
}

// writeEntity answers with one entity.
func (c *call) writeEntity(v *view, what string, entity any) *apiError {
	body, err := v.render(c.s.present(entity), "@odata.context", c.contextURL(what, v, true))
	if err != nil {
		return &apiError{http.StatusInternalServerError, "InternalServerError", err.Error()}
	}
	c.writeJSON(http.StatusOK, body)
	return nil
}

// marshal is json.Marshal without HTML escaping: Graph writes & and < as
// they are, in nextLinks above all.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (c *call) writeJSON(status int, body []byte) {
	c.w.Header().Set("Content-Type", successContentType)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body) // the client is gone if this fails
}
