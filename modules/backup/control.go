package backup

import (
	"net/http"
	"strings"

	"aula/internal/core"
	"aula/internal/wire"
	"aula/internal/wire/rest"
)

// Control paths: the SSK form takes the client's uid (or machine UUID),
// the OLPC XS ds-backup form its serial.
const (
	sskPrefix = "/backup/uuid/available/"
	xsPrefix  = "/backup/1/available/"
)

// Routes declares the admission checks. GET /client/backup answers in the
// JSON envelope; the SSK and XS forms answer with bare status codes as
// their clients expect: 200 and an empty text/plain body to go, 503 with
// Retry-After to ask again later, 403 for an unknown or refused client.
func (m *Module) Routes() []rest.Route {
	return []rest.Route{
		{Method: "GET", Path: "/client/backup", Call: "backup.admit",
			Help: "?uuid=UID|UUID (or ?uid=, ?serial=): accepted true to start the backup now, false to retry later"},
		{Method: "GET", Path: sskPrefix, Prefix: true, Handler: m.availableHandler(sskPrefix, "uuid"),
			Help: "GET /backup/uuid/available/UID: 200 go, 503 retry later, 403 unknown client (sugar-server)"},
		{Method: "GET", Path: xsPrefix, Prefix: true, Handler: m.availableHandler(xsPrefix, "serial"),
			Help: "GET /backup/1/available/SERIAL: 200 go, 503 retry later, 403 unknown client (OLPC XS ds-backup)"},
	}
}

// maxControlPath bounds the path of a control request.
const maxControlPath = 256

// availableHandler serves one bare-status form. The call still goes
// through the whole chain (rate limits, audit, metrics) as backup.admit.
func (m *Module) availableHandler(prefix, param string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			plain(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
			return
		}
		who, ok := strings.CutPrefix(r.URL.Path, prefix)
		// Spec §4.3 rule 4: the id is one word after the prefix, nothing else.
		if !ok || len(r.URL.Path) > maxControlPath || (param == "serial" && !serialForm.MatchString(who)) ||
			(param == "uuid" && !idForm.MatchString(who)) {
			plain(w, http.StatusForbidden, "bad client id in path")
			return
		}
		m.mu.RLock()
		app := m.app
		m.mu.RUnlock()
		c := wire.NewCall(r, "rest", false)
		c.Method = "backup.admit"
		c.Named = map[string]any{param: who}
		out, err := app.Handle(r.Context(), c)
		if err != nil {
			e := core.AsError(err)
			wire.SetErrorHeaders(w.Header(), e)
			status := wire.HTTPStatus(e.Kind)
			switch e.Kind {
			case core.KindInvalid, core.KindNotFound, core.KindPermission:
				status = http.StatusForbidden
			case core.KindTooMany, core.KindUnavailable:
				// ds-backup backs off and asks again only on 503.
				status = http.StatusServiceUnavailable
				if w.Header().Get("Retry-After") == "" {
					w.Header().Set("Retry-After", retryAfterText(int(busyRetry.Seconds())))
				}
			}
			plain(w, status, wire.PublicMessage(e, c))
			return
		}
		a, _ := out.(Admission)
		if !a.Accepted {
			w.Header().Set("Retry-After", retryAfterText(a.RetryAfter))
			plain(w, http.StatusServiceUnavailable, a.Reason)
			return
		}
		plain(w, http.StatusOK, "")
	})
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

// controlMux serves --backup-control-listen: the admission checks only.
func (m *Module) controlMux() http.Handler {
	mux := http.NewServeMux()
	rh := &rest.Handler{App: m.app}
	for _, rt := range m.Routes() {
		mux.Handle(rt.Path, rh.RouteHandler(rt))
	}
	return mux
}
