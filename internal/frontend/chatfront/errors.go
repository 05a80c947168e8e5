package chatfront

import (
	"errors"
	"net"
	"strings"

	"aula/internal/core"
	"aula/internal/wire"
	"aula/internal/wire/chat"
)

// pyTypes names each error kind with the Python exception IVLE's clients
// would have seen for it.
var pyTypes = map[core.Kind]string{
	core.KindInternal:        "Exception",
	core.KindInvalid:         "ValueError",
	core.KindNoMethod:        "KeyError",
	core.KindNotFound:        "KeyError",
	core.KindUnauthenticated: "PermissionError",
	core.KindPermission:      "PermissionError",
	core.KindConflict:        "RuntimeError",
	core.KindUnavailable:     "RuntimeError",
	core.KindTooMany:         "RuntimeError",
	core.KindParse:           "ValueError",
}

// errorObject is the §3 error object for a refused call. An unknown
// method is IVLE's KeyError naming it; the traceback (Go's stack) is sent
// only with --debug.
func errorObject(c *core.Call, e *core.Error) chat.ErrorObject {
	eo := chat.ErrorObject{Type: pyTypes[e.Kind], Value: wire.PublicMessage(e, c)}
	if eo.Type == "" {
		eo.Type = "Exception"
	}
	if e.Kind == core.KindNoMethod {
		eo.Value = pyRepr(c.Method)
	}
	if c.Debug && len(e.Stack) > 0 {
		eo.Traceback = string(e.Stack)
	}
	return eo
}

// readError is the error object for a request that could not be read.
func readError(err error) chat.ErrorObject {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return chat.ErrorObject{Type: "timeout", Value: "timed out"}
	}
	return chat.ErrorObject{Type: "ValueError", Value: err.Error()}
}

// envelopeError is the error object for an envelope that is not one.
func envelopeError(err error) chat.ErrorObject {
	var ke chat.KeyError
	if errors.As(err, &ke) {
		return chat.ErrorObject{Type: "KeyError", Value: ke.Error()}
	}
	return chat.ErrorObject{Type: "ValueError", Value: err.Error()}
}

// pyRepr quotes s as Python's repr of a str does (for ASCII text).
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`, q, `\`+q)
	return q + r.Replace(s) + q
}
