package rest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"aula/internal/core"
	"aula/internal/wire"
)

// statusRetry is the Retry-After of a ReplyStatus "try later" whose error
// carries none.
const statusRetry = time.Minute

// RouteHandler returns the handler of one module route (core.Route): the
// arguments from the query string, the rest of a prefix path and a POST's
// JSON object body, the reply in the route's shape.
func (h *Handler) RouteHandler(rt core.Route) http.Handler {
	m, _ := h.App.Method(rt.Call)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != rt.Method && !(rt.Method == http.MethodGet && r.Method == http.MethodHead) {
			if rt.Reply == core.ReplyStatus {
				w.Header().Set("Allow", rt.Method)
				plain(w, http.StatusMethodNotAllowed, "method not allowed: use "+rt.Method)
				return
			}
			h.methodNotAllowed(w, rt.Method)
			return
		}
		c := wire.NewCall(r, "rest", h.Debug)
		c.Method = rt.Call
		if r.Method == http.MethodPost {
			release, err := h.admitBody(r, c)
			defer release()
			if err != nil {
				h.routeError(w, rt, c, err)
				return
			}
			if err := h.decodeBody(r, c); err != nil {
				h.routeError(w, rt, c, err)
				return
			}
			if c.Args != nil {
				h.routeError(w, rt, c, core.Errorf(core.KindInvalid, "body: expected a JSON object"))
				return
			}
		}
		if c.Named == nil {
			c.Named = map[string]any{}
		}
		if rt.PathArg != "" {
			rest, _ := strings.CutPrefix(r.URL.Path, rt.Path)
			if len(rt.Path) > 0 && rt.Path[len(rt.Path)-1] != '/' {
				rest = strings.TrimPrefix(rest, "/")
			}
			c.Named[rt.PathArg] = rest
		}
		for k, v := range r.URL.Query() {
			if _, set := c.Named[k]; set || len(v) == 0 || !takesQuery(rt, m, k) {
				continue
			}
			if !utf8.ValidString(v[0]) {
				h.writeError(w, c, core.Errorf(core.KindInvalid, "query parameter %q: invalid UTF-8", k))
				return
			}
			c.Named[k] = v[0]
		}
		if rt.Reply == core.ReplyStatus {
			if _, err := h.App.Handle(r.Context(), c); err != nil {
				h.routeError(w, rt, c, err)
				return
			}
			plain(w, http.StatusOK, "")
			return
		}
		h.serveCall(w, r, c)
	})
}

// routeError writes an error in the route's shape.
func (h *Handler) routeError(w http.ResponseWriter, rt core.Route, c *core.Call, err error) {
	if rt.Reply != core.ReplyStatus {
		h.writeError(w, c, err)
		return
	}
	e := core.AsError(err)
	if c.ID == "" {
		c.ID = core.NewID()
	}
	wire.SetErrorHeaders(w.Header(), e)
	status := wire.HTTPStatus(e.Kind)
	switch e.Kind {
	case core.KindInvalid, core.KindParse, core.KindNotFound, core.KindNoMethod, core.KindPermission:
		status = http.StatusForbidden
	case core.KindTooMany, core.KindUnavailable:
		// ds-backup backs off and asks again only on 503.
		status = http.StatusServiceUnavailable
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(int(statusRetry.Seconds())))
		}
	}
	plain(w, status, wire.PublicMessage(e, c))
}

// plain writes a text/plain reply: a one-line message, or empty.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-store")
	if msg != "" {
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r", " "), "\n", " ") + "\n"
	}
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// takesQuery reports whether the query parameter name is passed to the
// route's method: listed in Query, or (Query nil) one the method takes.
func takesQuery(rt core.Route, m *core.Method, name string) bool {
	if rt.Query != nil {
		for _, q := range rt.Query {
			if q == name {
				return true
			}
		}
		return false
	}
	return takesParam(m, name)
}

// takesParam reports whether m has a parameter named name (variadic
// methods take anything).
func takesParam(m *core.Method, name string) bool {
	if m == nil || m.Variadic {
		return true
	}
	for _, p := range m.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}
