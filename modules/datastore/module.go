// Package datastore exposes the store's key-value datastore (Clarens's
// datastore) as admin methods.
package datastore

import (
	"context"
	_ "embed"

	"aula/internal/core"
	"aula/internal/store"
)

//go:embed README.md
var readme string

// namespace is the KV namespace this module's methods use.
const namespace = "datastore"

func init() {
	core.Register(core.ModuleInfo{ID: "datastore", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module serves the datastore methods.
type Module struct{ kv *store.KV }

// Provision keeps the module's KV namespace.
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	m.kv = env.Store.KV(namespace)
	return nil
}

type keyArg struct {
	Key string `json:"key"`
}

type putArgs struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type prefixArg struct {
	Prefix string `json:"prefix,omitempty"`
}

// Entry is one listed pair.
type Entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Methods is the datastore's method table.
func (m *Module) Methods() []core.Method {
	put := core.Func("put", "Stores value under key, durably.", func(ctx context.Context, in putArgs) (bool, error) {
		if err := m.kv.Put(ctx, in.Key, []byte(in.Value)); err != nil {
			return false, core.StoreError(err, "")
		}
		return true, nil
	})
	put.Mutates = true
	get := core.Func("get", "Returns the value stored under key.", func(ctx context.Context, in keyArg) (string, error) {
		v, ok, err := m.kv.Get(ctx, in.Key)
		if err != nil {
			return "", core.StoreError(err, "")
		}
		if !ok {
			return "", core.Errorf(core.KindNotFound, "no value under key %q", in.Key)
		}
		return string(v), nil
	})
	del := core.Func("delete", "Removes key.", func(ctx context.Context, in keyArg) (bool, error) {
		if err := m.kv.Delete(ctx, in.Key); err != nil {
			return false, core.StoreError(err, "")
		}
		return true, nil
	})
	del.Mutates = true
	list := core.Func("list", "Lists the entries whose key starts with prefix, sorted by key.", func(ctx context.Context, in prefixArg) ([]Entry, error) {
		pairs, err := m.kv.List(ctx, in.Prefix)
		if err != nil {
			return nil, core.StoreError(err, "")
		}
		out := make([]Entry, len(pairs))
		for i, p := range pairs {
			out[i] = Entry{p.Key, string(p.Value)}
		}
		return out, nil
	})
	ms := []core.Method{put, get, del, list}
	for i := range ms {
		ms[i].Access = core.Admin
	}
	return ms
}
