// Package rest is aula's REST/JSON front end: the sugar-server envelope
// ({"success":"OK", ...fields} or {"success":"ERR","error":"..."}),
// POST /api/{module}.{method} with named (object) or positional (array)
// arguments, GET /api listing every method, and routes modules declare for
// their own paths (GET /client/status → id.status).
package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/wire"
)

// DefaultMaxBody caps a request body; REST calls are small.
const DefaultMaxBody = 1 << 20

// Handler serves /api and module routes.
type Handler struct {
	App     *core.App
	Debug   bool
	MaxBody int64
	// Budget, shared with the XML-RPC handler, bounds the bodies being
	// decoded at once (see budget.go); nil: no bound.
	Budget     *limit.Budget
	BudgetWait time.Duration
}

// ServeAPI serves GET /api and POST /api/{method}.
func (h *Handler) ServeAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api"), "/")
	if name == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.methodNotAllowed(w, "GET")
			return
		}
		h.listAPI(w, r)
		return
	}
	if r.Method != http.MethodPost {
		h.methodNotAllowed(w, "POST")
		return
	}
	c := wire.NewCall(r, "rest", h.Debug)
	c.Method = name
	release, err := h.admitBody(r, c)
	defer release()
	if err != nil {
		h.writeError(w, c, err)
		return
	}
	if err := h.decodeBody(r, c); err != nil {
		h.writeError(w, c, err)
		return
	}
	h.serveCall(w, r, c)
}

func (h *Handler) serveCall(w http.ResponseWriter, r *http.Request, c *core.Call) {
	out, err := h.App.Handle(r.Context(), c)
	if err != nil {
		h.writeError(w, c, err)
		return
	}
	body, err := envelope(out)
	if err != nil {
		h.writeError(w, c, core.Wrap(core.KindInternal, err, "cannot encode reply"))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// decodeBody reads a JSON object (named args), array (positional) or an
// empty body (no args).
func (h *Handler) decodeBody(r *http.Request, c *core.Call) error {
	limit := h.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return core.Wrap(core.KindInvalid, err, "body: read failed")
	}
	if int64(len(data)) > limit {
		return core.Errorf(core.KindInvalid, "body: larger than the %d-byte limit", limit)
	}
	args, named, err := DecodeArgs(data)
	if err != nil {
		return err
	}
	c.Args, c.Named = args, named
	return nil
}

// DecodeArgs parses a REST request body: an object gives named arguments,
// an array positional ones, whitespace or nothing no arguments. Numbers stay
// exact (json.Number) so integers are not squeezed through float64. Strings
// must be valid UTF-8: an invalid byte is refused, naming its field, rather
// than replaced by U+FFFD and stored.
func DecodeArgs(data []byte) ([]any, map[string]any, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return []any{}, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, core.Errorf(core.KindParse, "body: malformed JSON: %v", err)
	}
	if dec.More() {
		return nil, nil, core.Errorf(core.KindParse, "body: trailing data after the JSON value")
	}
	if bad := firstInvalidUTF8(data); bad >= 0 {
		return nil, nil, core.Errorf(core.KindInvalid, "body: %s: invalid UTF-8", invalidUTF8Where(data, bad))
	}
	switch t := v.(type) {
	case map[string]any:
		return nil, t, nil
	case []any:
		return t, nil, nil
	}
	return nil, nil, core.Errorf(core.KindInvalid, "body: expected a JSON object (named args) or array (positional args)")
}

func (h *Handler) writeError(w http.ResponseWriter, c *core.Call, err error) {
	e := core.AsError(err)
	if c.ID == "" {
		c.ID = core.NewID()
	}
	wire.SetErrorHeaders(w.Header(), e)
	body, _ := json.Marshal(map[string]string{"success": "ERR", "error": wire.PublicMessage(e, c)})
	writeJSON(w, wire.HTTPStatus(e.Kind), body)
}

func (h *Handler) methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	body, _ := json.Marshal(map[string]string{"success": "ERR", "error": "method not allowed: use " + allow})
	writeJSON(w, http.StatusMethodNotAllowed, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte{'\n'})
}
