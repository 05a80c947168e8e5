package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// App is an assembled set of modules: their method table and the chain a
// call goes through.
type App struct {
	Log    *slog.Logger
	Events *Events

	mods    []loaded
	byID    map[string]Module
	methods map[string]*Method
	names   []string // sorted, with aliases
	links   []Link
	handle  Next
	metrics metrics
	policy  Policy
	admit   Admission
	started []Module
	mu      sync.Mutex
}

type loaded struct {
	info ModuleInfo
	mod  Module
}

// NewApp instantiates the given registered modules (all of them when ids is
// empty) and builds the method table, including the system.* methods.
func NewApp(log *slog.Logger, ids ...string) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	a := &App{Log: log, Events: &Events{}, byID: map[string]Module{}, methods: map[string]*Method{}}
	infos := Registered()
	if len(ids) > 0 {
		infos = infos[:0]
		for _, id := range ids {
			info, ok := Lookup(id)
			if !ok {
				return nil, fmt.Errorf("unknown module %q", id)
			}
			infos = append(infos, info)
		}
	}
	for _, info := range infos {
		m := info.New()
		a.mods = append(a.mods, loaded{info, m})
		a.byID[info.ID] = m
	}
	a.mods = append(a.mods, loaded{ModuleInfo{ID: "system", Help: systemHelp}, &systemModule{a}})
	for _, l := range a.mods {
		for _, m := range l.mod.Methods() {
			if err := a.addMethod(l.info.ID, m); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(a.names)
	a.SetChain(DefaultChain(a))
	return a, nil
}

func (a *App) addMethod(module string, m Method) error {
	if !strings.Contains(m.Name, ".") {
		m.Name = module + "." + m.Name
	}
	if !strings.HasPrefix(m.Name, module+".") {
		return fmt.Errorf("module %s: method %s outside its namespace", module, m.Name)
	}
	if m.Handler == nil {
		return fmt.Errorf("module %s: method %s has no handler", module, m.Name)
	}
	mp := &m
	mp.stats = &methodStats{}
	for _, n := range append([]string{m.Name}, m.Aliases...) {
		if _, dup := a.methods[n]; dup {
			return fmt.Errorf("module %s: method %s defined twice", module, n)
		}
		a.methods[n] = mp
		a.names = append(a.names, n)
	}
	return nil
}

// SetChain replaces the whole chain.
func (a *App) SetChain(links []Link) {
	a.links = links
	a.handle = build(links, a.dispatch)
}

// Replace swaps the link with the given name; it panics if there is none,
// since that is a wiring mistake.
func (a *App) Replace(name string, fn func(ctx context.Context, c *Call, next Next) (any, error)) {
	links := append([]Link(nil), a.links...)
	for i := range links {
		if links[i].Name == name {
			links[i].Fn = fn
			a.SetChain(links)
			return
		}
	}
	panic("core: no chain link named " + name)
}

// Chain lists the link names in order.
func (a *App) Chain() []string {
	out := make([]string, len(a.links))
	for i, l := range a.links {
		out[i] = l.Name
	}
	return out
}

func (a *App) run(ctx context.Context, c *Call) (any, error) { return a.handle(ctx, c) }

// Method finds a method (or alias) by name.
func (a *App) Method(name string) (*Method, bool) {
	m, ok := a.methods[name]
	return m, ok
}

// MethodNames lists every name a method answers to (aliases too), sorted.
func (a *App) MethodNames() []string { return a.names }

// Module returns a loaded module instance by ID, for modules that need
// another's services (type-assert to the interface you need).
func (a *App) Module(id string) (Module, bool) {
	m, ok := a.byID[id]
	return m, ok
}

// Modules lists the loaded modules (with system last).
func (a *App) Modules() []ModuleInfo {
	out := make([]ModuleInfo, len(a.mods))
	for i, l := range a.mods {
		out[i] = l.info
	}
	return out
}

// Each calls fn for every loaded module instance, in load order.
func (a *App) Each(fn func(info ModuleInfo, m Module) error) error {
	for _, l := range a.mods {
		if err := fn(l.info, l.mod); err != nil {
			return fmt.Errorf("module %s: %w", l.info.ID, err)
		}
	}
	return nil
}

// Start starts every Starter module in load order; on failure the ones
// already started are stopped.
func (a *App) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.mods {
		if s, ok := l.mod.(Starter); ok {
			if err := s.Start(ctx); err != nil {
				a.stopLocked(ctx)
				return fmt.Errorf("module %s: start: %w", l.info.ID, err)
			}
			a.started = append(a.started, l.mod)
		}
	}
	return nil
}

// Stop stops started modules in reverse order.
func (a *App) Stop(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopLocked(ctx)
}

func (a *App) stopLocked(ctx context.Context) error {
	var errs []error
	for i := len(a.started) - 1; i >= 0; i-- {
		if s, ok := a.started[i].(Stopper); ok {
			errs = append(errs, s.Stop(ctx))
		}
	}
	a.started = nil
	return errors.Join(errs...)
}
