package rest

import (
	"encoding/json"
	"net/http"

	"aula/internal/core"
	"aula/internal/wire"
)

// apiMethod is one entry of GET /api.
type apiMethod struct {
	Name      string       `json:"name"`
	Signature [][]string   `json:"signature"`
	Params    []core.Param `json:"params"`
	Help      string       `json:"help"`
	Access    string       `json:"access"`
	Aliases   []string     `json:"aliases,omitempty"`
	AliasOf   string       `json:"alias_of,omitempty"` // set on the entry of an alias ("register")
	Variadic  bool         `json:"variadic,omitempty"`
}

// listAPI serves GET /api: every method the caller may call, generated from
// the method table; an alias has an entry of its own naming its method.
func (h *Handler) listAPI(w http.ResponseWriter, r *http.Request) {
	// Run as system.listMethods through the chain, so the caller is
	// authenticated (and limited) and sees exactly what it may call.
	c := wire.NewCall(r, "rest", h.Debug)
	c.Method, c.Args = "system.listMethods", []any{}
	res, err := h.App.Handle(r.Context(), c)
	if err != nil {
		h.writeError(w, c, err)
		return
	}
	names, _ := res.([]string)
	out := make([]apiMethod, 0, len(names))
	for _, n := range names {
		m, _ := h.App.Method(n)
		params := m.Params
		if params == nil {
			params = []core.Param{}
		}
		e := apiMethod{Name: n, Signature: m.Signature(), Params: params,
			Help: m.Help, Access: m.Access.String(), Aliases: m.Aliases, Variadic: m.Variadic}
		if n != m.Name {
			e.AliasOf, e.Aliases = m.Name, nil
		}
		out = append(out, e)
	}
	body, err := json.Marshal(map[string]any{"success": "OK", "methods": out})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
