package core

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
)

// ModuleInfo is what a module registers in its init function.
type ModuleInfo struct {
	// ID is the module's name and the prefix of its methods ("echo").
	ID string
	// New returns a fresh, unconfigured instance.
	New func() Module
	// Help is the module's README, printed by `aula help ID`.
	Help string
}

// Module is the one thing every module does: describe its methods.
type Module interface {
	Methods() []Method
}

var (
	regMu    sync.Mutex
	registry = map[string]ModuleInfo{}
	idRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// Register adds a module to the set the binary can run. The binary picks its
// module set by import. A duplicate or malformed registration is a
// programming error and panics at start-up.
func Register(info ModuleInfo) {
	regMu.Lock()
	defer regMu.Unlock()
	if !idRE.MatchString(info.ID) {
		panic(fmt.Sprintf("core.Register: bad module id %q (want %s)", info.ID, idRE))
	}
	if info.ID == "system" {
		panic(`core.Register: module id "system" is reserved`)
	}
	if info.New == nil {
		panic(fmt.Sprintf("core.Register: module %q has no New", info.ID))
	}
	if _, dup := registry[info.ID]; dup {
		panic(fmt.Sprintf("core.Register: module %q registered twice", info.ID))
	}
	registry[info.ID] = info
}

// Registered lists the registered modules sorted by ID.
func Registered() []ModuleInfo {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]ModuleInfo, 0, len(registry))
	for _, m := range registry {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a registered module by ID.
func Lookup(id string) (ModuleInfo, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	m, ok := registry[id]
	return m, ok
}
