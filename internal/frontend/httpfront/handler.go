package httpfront

import (
	"fmt"
	"net/http"
	"sort"

	"aula/internal/core"
	"aula/internal/server"
	"aula/internal/wire"
	"aula/internal/wire/rest"
	"aula/internal/wire/xmlrpc"
)

// Handler builds the HTTP handler shared by the main and XS listeners.
func Handler(app *core.App, debug bool) (http.Handler, error) {
	// One budget for every listener and both protocols: server-wide.
	budget := xmlrpc.DefaultBudget(0)
	xh := &xmlrpc.Handler{App: app, Debug: debug, Budget: budget}
	rh := &rest.Handler{App: app, Debug: debug, Budget: budget}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			xh.ServeHTTP(w, r)
			return
		}
		index(w, app)
	})
	mux.Handle("/RPC2", xh)
	mux.HandleFunc("/api", rh.ServeAPI)
	mux.HandleFunc("/api/", rh.ServeAPI)
	// /metrics is system.metrics through the chain: an admin method, so a
	// scraper needs credentials (or an ACL line opening it to its address).
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		c := wire.NewCall(r, "http", debug)
		c.Method, c.Args = "system.metrics", []any{}
		out, err := app.Handle(r.Context(), c)
		if err != nil {
			e := core.AsError(err)
			wire.SetErrorHeaders(w.Header(), e)
			http.Error(w, wire.PublicMessage(e, c), wire.HTTPStatus(e.Kind))
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, out)
	})
	// /readyz is system.ready (public): 200 when ready, 503 saying why not.
	mux.Handle("GET /readyz", rh.RouteHandler(core.Route{Method: "GET", Path: "/readyz", Call: "system.ready"}))
	seen := map[string]string{}
	err := app.Each(func(info core.ModuleInfo, m core.Module) error {
		rp, ok := m.(core.RouteProvider)
		if !ok {
			return nil
		}
		return addRoutes(mux, rh, app, rp.Routes(), info.ID, seen)
	})
	if err != nil {
		return nil, err
	}
	return mux, nil
}

// RoutesHandler serves only the given routes (an extra listener a module
// asked for, core.Listener).
func RoutesHandler(app *core.App, debug bool, owner string, routes []core.Route) (http.Handler, error) {
	mux := http.NewServeMux()
	rh := &rest.Handler{App: app, Debug: debug}
	if err := addRoutes(mux, rh, app, routes, owner, map[string]string{}); err != nil {
		return nil, err
	}
	return mux, nil
}

// addRoutes puts a module's routes on mux, refusing a route naming an
// unknown method or a path another module took.
func addRoutes(mux *http.ServeMux, rh *rest.Handler, app *core.App, routes []core.Route, owner string, seen map[string]string) error {
	for _, rt := range routes {
		if _, ok := app.Method(rt.Call); !ok {
			return fmt.Errorf("route %s %s names unknown method %q", rt.Method, rt.Path, rt.Call)
		}
		if rt.PathArg != "" && !rt.Prefix {
			return fmt.Errorf("route %s %s: PathArg needs a Prefix route", rt.Method, rt.Path)
		}
		pattern := rt.Path
		if rt.Prefix && pattern[len(pattern)-1] != '/' {
			pattern += "/"
		}
		if other, dup := seen[pattern]; dup {
			return fmt.Errorf("route %s already declared by %s", pattern, other)
		}
		seen[pattern] = owner
		mux.Handle(pattern, rh.RouteHandler(rt))
	}
	return nil
}

func index(w http.ResponseWriter, app *core.App) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "aula %s\n\nXML-RPC: POST / or /RPC2\nREST:    GET /api lists every method; POST /api/{method}\nMetrics: GET /metrics\n\nModules:\n", server.Version)
	mods := app.Modules()
	sort.Slice(mods, func(i, j int) bool { return mods[i].ID < mods[j].ID })
	for _, m := range mods {
		fmt.Fprintf(w, "  %s\n", m.ID)
	}
}
