package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"

	"aula/internal/config"
)

// FrontEndInfo is what a front end registers in its init function, as a
// module does with ModuleInfo. The binary picks its front ends by import.
type FrontEndInfo struct {
	// ID names the front end in logs and `aula help` ("http", "activation").
	ID string
	// Section is the config section of its options: "" declares them at the
	// top level (--listen), "activation" as --activation-listen. Several
	// front ends and modules may share a section as long as option names
	// differ.
	Section string
	// New returns a fresh, unconfigured instance.
	New func() FrontEnd
	// Help is a short description printed by `aula help`.
	Help string
}

// FrontEnd turns bytes from its own listeners into Calls for App.Handle,
// and replies back into bytes. It never reaches into a module: every call
// goes through the chain (authenticate, authorize, limit, audit, metrics).
//
// Lifecycle, driven by `aula serve`: Configure (optional, Configurer) at
// load; Bind before privileges are dropped (so low ports can be bound);
// Start after the modules started; Shutdown on SIGTERM, before the modules
// stop.
type FrontEnd interface {
	// Bind opens the front end's listeners. A front end whose listeners are
	// all turned off binds nothing and returns nil.
	Bind(ctx context.Context, env *FrontEnv) error
	// Start serves the bound listeners in the background. A listener that
	// fails after Start reports through env.Fail.
	Start(ctx context.Context) error
	// Shutdown stops accepting, lets calls in progress finish until ctx
	// ends, then closes what is left.
	Shutdown(ctx context.Context) error
}

// Addresser is implemented by front ends that can say where each of their
// listeners is bound ("main" → "127.0.0.1:8000"), for tests and benchmarks
// that listen on port 0.
type Addresser interface {
	Addrs() map[string]string
}

// FrontEnv is what a front end gets at Bind.
type FrontEnv struct {
	App *App
	Log *slog.Logger
	// Debug sends internal error details to clients (--debug).
	Debug bool
	// TLS is the server's TLS configuration (--tls-cert/--tls-key), nil
	// without TLS. A front end that always speaks TLS (the lab agents')
	// brings its own when this is nil.
	TLS *tls.Config
	// PeerCheck, when set, must be asked about a verified client
	// certificate on every request, so that a revocation also ends
	// connections opened before it.
	PeerCheck func(*x509.Certificate) error
	// DataDir is the server's data directory (keys, CA).
	DataDir string
	// Fail reports a fatal listener error; `aula serve` then shuts down.
	Fail func(error)
}

var (
	feMu       sync.Mutex
	feRegistry = map[string]FrontEndInfo{}
)

// RegisterFrontEnd adds a front end to the set the binary can run. A
// duplicate or malformed registration is a programming error and panics.
func RegisterFrontEnd(info FrontEndInfo) {
	feMu.Lock()
	defer feMu.Unlock()
	if !idRE.MatchString(info.ID) {
		panic(fmt.Sprintf("core.RegisterFrontEnd: bad id %q (want %s)", info.ID, idRE))
	}
	if info.New == nil {
		panic(fmt.Sprintf("core.RegisterFrontEnd: %q has no New", info.ID))
	}
	if _, dup := feRegistry[info.ID]; dup {
		panic(fmt.Sprintf("core.RegisterFrontEnd: %q registered twice", info.ID))
	}
	feRegistry[info.ID] = info
}

// RegisteredFrontEnds lists the registered front ends sorted by ID.
func RegisteredFrontEnds() []FrontEndInfo {
	feMu.Lock()
	defer feMu.Unlock()
	out := make([]FrontEndInfo, 0, len(feRegistry))
	for _, f := range feRegistry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// FrontEnds is an instantiated set of front ends, bound, started and shut
// down together.
type FrontEnds struct {
	infos []FrontEndInfo
	ends  []FrontEnd
	bound []FrontEnd
}

// NewFrontEnds instantiates the registered front ends (all of them when ids
// is empty).
func NewFrontEnds(ids ...string) (*FrontEnds, error) {
	infos := RegisteredFrontEnds()
	if len(ids) > 0 {
		byID := map[string]FrontEndInfo{}
		for _, f := range infos {
			byID[f.ID] = f
		}
		infos = infos[:0]
		for _, id := range ids {
			f, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("unknown front end %q", id)
			}
			infos = append(infos, f)
		}
	}
	fs := &FrontEnds{infos: infos}
	for _, f := range infos {
		fs.ends = append(fs.ends, f.New())
	}
	return fs, nil
}

// Configure declares each front end's options in its section.
func (fs *FrontEnds) Configure(s *config.Set) {
	for i, f := range fs.ends {
		if c, ok := f.(Configurer); ok {
			if sec := fs.infos[i].Section; sec == "" {
				c.Configure(s.Root())
			} else {
				c.Configure(s.Section(sec))
			}
		}
	}
}

// Infos lists the front ends in this set.
func (fs *FrontEnds) Infos() []FrontEndInfo { return fs.infos }

// Get returns the instance of a front end by ID.
func (fs *FrontEnds) Get(id string) (FrontEnd, bool) {
	for i, f := range fs.infos {
		if f.ID == id {
			return fs.ends[i], true
		}
	}
	return nil, false
}

// Bind binds every front end; on failure the ones already bound are shut.
func (fs *FrontEnds) Bind(ctx context.Context, env *FrontEnv) error {
	for i, f := range fs.ends {
		fenv := *env
		fenv.Log = env.Log.With("frontend", fs.infos[i].ID)
		if err := f.Bind(ctx, &fenv); err != nil {
			fs.Shutdown(context.Background())
			return fmt.Errorf("front end %s: %w", fs.infos[i].ID, err)
		}
		fs.bound = append(fs.bound, f)
	}
	return nil
}

// Start starts every bound front end.
func (fs *FrontEnds) Start(ctx context.Context) error {
	for i, f := range fs.bound {
		if err := f.Start(ctx); err != nil {
			return fmt.Errorf("front end %s: start: %w", fs.infos[i].ID, err)
		}
	}
	return nil
}

// Shutdown shuts every bound front end down, in reverse order, sharing
// ctx's deadline.
func (fs *FrontEnds) Shutdown(ctx context.Context) error {
	var first error
	for i := len(fs.bound) - 1; i >= 0; i-- {
		if err := fs.bound[i].Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	fs.bound = nil
	return first
}

// Addrs merges every front end's bound addresses, keyed "ID.listener"
// ("http.main", "activation.tcp").
func (fs *FrontEnds) Addrs() map[string]string {
	out := map[string]string{}
	for i, f := range fs.ends {
		if a, ok := f.(Addresser); ok {
			for k, v := range a.Addrs() {
				out[fs.infos[i].ID+"."+k] = v
			}
		}
	}
	return out
}

// ListenTCP opens a TCP listener, for front ends' Bind.
func ListenTCP(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
