package chatfront

import (
	"fmt"

	"aula/internal/core"
	"aula/internal/wire/chat"
)

// usrmgtMethods maps IVLE's usrmgt actions ({"activate_user": {...}}) to
// the methods that do them over aula's users (the svn rebuilds answer
// usrmgt's failure: aula provides no Subversion). Other actions get the §3
// KeyError error object, as an unknown action does in IVLE.
var usrmgtMethods = map[string]string{
	"activate_user":            "console.activate_user",
	"create_group_repository":  "console.create_group_repository",
	"rebuild_svn_config":       "console.rebuild_svn_config",
	"rebuild_svn_group_config": "console.rebuild_svn_group_config",
}

// shape says how a call's failure is answered.
type shape int

const (
	shapeCall   shape = iota // the §3 error object
	shapeUsrmgt              // {"response": "failure", "msg": ...}
)

// route turns a verified message into a Call. The three shapes:
// {"method": "module.name", "params": [...] | {...}}; IVLE's console
// {"cmd", "text"} (to the console whose magic signed it, or the one named
// by "handle"); IVLE's usrmgt {action: props}.
func route(msg any, w who) (*core.Call, shape, *chat.ErrorObject) {
	m, ok := msg.(map[string]any)
	if !ok {
		return nil, 0, &chat.ErrorObject{Type: "TypeError", Value: fmt.Sprintf("message must be a JSON object, got %s", jsonKind(msg))}
	}
	call := &core.Call{Creds: core.Credentials{SharedSecret: w.name, SharedSecretVia: w.via}}
	if _, isCmd := m["cmd"]; isCmd || w.console != "" {
		handle := w.console
		if handle == "" {
			h, ok := m["handle"].(string)
			if !ok {
				return nil, 0, keyError("handle")
			}
			handle = h
		}
		cmd, ok := m["cmd"].(string)
		if !ok {
			return nil, 0, keyError("cmd")
		}
		call.Method = "console.chat"
		call.Named = map[string]any{"handle": handle, "cmd": cmd, "text": m["text"]}
		return call, shapeCall, nil
	}
	if name, ok := m["method"]; ok {
		s, ok := name.(string)
		if !ok {
			return nil, 0, &chat.ErrorObject{Type: "TypeError", Value: "method must be a string"}
		}
		call.Method = s
		switch p := m["params"].(type) {
		case nil:
			call.Args = []any{}
		case []any:
			call.Args = p
		case map[string]any:
			call.Named = p
		default:
			return nil, 0, &chat.ErrorObject{Type: "TypeError", Value: "params must be an array or an object, got " + jsonKind(p)}
		}
		return call, shapeCall, nil
	}
	if len(m) == 1 {
		for action, props := range m {
			method, ok := usrmgtMethods[action]
			if !ok {
				return nil, 0, keyError(action)
			}
			p, ok := props.(map[string]any)
			if !ok {
				return nil, 0, &chat.ErrorObject{Type: "TypeError", Value: action + ": properties must be an object"}
			}
			call.Method, call.Named = method, p
			return call, shapeUsrmgt, nil
		}
	}
	return nil, 0, &chat.ErrorObject{Type: "KeyError", Value: "'method'"}
}

func keyError(name string) *chat.ErrorObject {
	return &chat.ErrorObject{Type: "KeyError", Value: pyRepr(name)}
}

// failure is the reply for a call the chain or handler refused: the
// error object, or for a usrmgt action that ran and failed, usrmgt's own
// {"response": "failure", "msg": repr(e)}.
func (s shape) failure(c *core.Call, e *core.Error) []byte {
	eo := errorObject(c, e)
	if s == shapeUsrmgt && e.Kind != core.KindNoMethod {
		b, _ := chat.MarshalPy(usrmgtFailure{Response: "failure", Msg: eo.Type + "(" + pyRepr(eo.Value) + ")"})
		return b
	}
	return eo.Encode()
}

type usrmgtFailure struct {
	Response string `json:"response"`
	Msg      string `json:"msg"`
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	}
	return "a number"
}
