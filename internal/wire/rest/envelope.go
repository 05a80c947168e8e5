package rest

import (
	"bytes"
	"encoding/json"
)

var okPrefix = []byte(`{"success":"OK"`)

// envelope wraps a result in the sugar-server envelope. An object result has
// its fields merged after "success":"OK"; a result that already leads with a
// "success" field (the register reply) is sent as it is; anything else
// travels as "result".
func envelope(out any) ([]byte, error) {
	body, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 && body[0] == '{' {
		if bytes.HasPrefix(body, []byte(`{"success":`)) {
			return body, nil
		}
		if m, ok := out.(map[string]any); ok {
			if _, has := m["success"]; has {
				return body, nil
			}
		}
		if string(body) == "{}" {
			return append(append([]byte{}, okPrefix...), '}'), nil
		}
		merged := make([]byte, 0, len(okPrefix)+len(body))
		merged = append(merged, okPrefix...)
		merged = append(merged, ',')
		return append(merged, body[1:]...), nil
	}
	merged := make([]byte, 0, len(okPrefix)+len(body)+12)
	merged = append(merged, okPrefix...)
	merged = append(merged, `,"result":`...)
	merged = append(merged, body...)
	return append(merged, '}'), nil
}
