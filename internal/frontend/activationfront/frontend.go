// Package activationfront is the TCP 191 front end XO laptops ask for
// their activation lease at boot. The wire (read to the client's FIN,
// bounded; decode a serial or an rtcreset line; write the reply; always
// close) is internal/wire/activation's Server; this package turns each
// request into a call of activation.answer through App.Handle, so rate
// limits, audit and metrics apply to TCP 191 as to any other call, and
// writes back exactly the bytes the method returns (a lease, the 6 bytes
// STOLEN, or nothing: the connection is closed at once).
package activationfront

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/activation"
)

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "activation", Section: "activation",
		New:  func() core.FrontEnd { return &FrontEnd{} },
		Help: "TCP 191: the XO laptops' activation lease requests, answered by activation.answer (--activation-listen)"})
}

// DefaultListen is where XO laptops ask: TCP 191 on every address (Go's
// ":191" listens on IPv4 and IPv6, which the XO tries in turn).
const DefaultListen = ":191"

// Method is what every request calls.
const Method = "activation.answer"

// FrontEnd is the TCP 191 front end.
type FrontEnd struct {
	opts *options
	env  *core.FrontEnv
	ln   net.Listener
	srv  *activation.Server
}

type options struct {
	listen       *config.Opt[string]
	readDeadline *config.Opt[time.Duration]
	maxConns     *config.Opt[int]
	maxPerIP     *config.Opt[int]
}

// Configure declares [activation] listen, read-deadline, max-conns and
// max-conns-per-ip.
func (f *FrontEnd) Configure(sec *config.Section) {
	f.opts = &options{
		listen: sec.String("listen", DefaultListen,
			"TCP address XO laptops ask for their activation lease at boot (empty turns it off; left at the default, a port that cannot be bound is logged and skipped)").Validate(config.ListenAddr),
		readDeadline: sec.Duration("read-deadline", activation.DefaultReadDeadline,
			"time a laptop has to send its whole request (up to its FIN) before it is answered as unknown and cut off").Validate(config.PositiveDuration),
		maxConns: sec.Int("max-conns", activation.DefaultMaxConns,
			"activation connections handled at once; more are closed at once (the XO tries again), and past 7/8 of it each new connection first closes the one that has waited longest for its request").Validate(config.PositiveInt),
		maxPerIP: sec.Int("max-conns-per-ip", activation.DefaultMaxConnsPerIP,
			"activation connections from one source address at once (a school NAT is one address: keep it above the laptops that boot together)").Validate(config.PositiveInt),
	}
}

// Bind opens the TCP 191 listener before privileges are dropped. Left at
// its default, a port that cannot be bound (not root, or xinetd's
// xs-activation still holding it) is logged and skipped so that the rest
// of the server runs; an address the admin chose must bind or aula stops.
// A binary without the activation module binds nothing.
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	if f.opts == nil {
		return errors.New("activation front end: not configured")
	}
	f.env = env
	addr := f.opts.listen.Get()
	if addr == "" {
		return nil
	}
	if _, ok := env.App.Method(Method); !ok {
		env.Log.Info("no activation module in this binary: TCP 191 not served")
		return nil
	}
	ln, err := core.ListenTCP(addr)
	if err != nil {
		if addr == DefaultListen {
			env.Log.Error("TCP 191 listener not opened; laptops cannot activate over the network (set --activation-listen to an address that binds, or to \"\" to turn it off)", "addr", addr, "err", err)
			return nil
		}
		return fmt.Errorf("activation listener %s: %w", addr, err)
	}
	f.ln = ln
	return nil
}

// Start serves the bound listener.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.ln == nil {
		return nil
	}
	f.srv = &activation.Server{
		Answerer:      f,
		ReadDeadline:  f.opts.readDeadline.Get(),
		MaxConns:      f.opts.maxConns.Get(),
		MaxConnsPerIP: f.opts.maxPerIP.Get(),
		Invalid:       f.invalid,
		Logger:        f.env.Log,
	}
	if err := f.srv.Start(f.ln, f.env.Fail); err != nil {
		return err
	}
	f.env.App.AddMetrics(func(w io.Writer) { f.srv.WriteMetrics(w, "activation") })
	f.env.Log.Info("listening", "listener", "activation", "addr", f.ln.Addr().String())
	return nil
}

// Shutdown stops accepting and lets answers in progress finish (within
// ctx).
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.srv == nil {
		if f.ln != nil {
			f.ln.Close()
		}
		return nil
	}
	return f.srv.Shutdown(ctx)
}

// Addrs reports the bound listener as "tcp".
func (f *FrontEnd) Addrs() map[string]string {
	if f.ln == nil {
		return map[string]string{}
	}
	return map[string]string{"tcp": f.ln.Addr().String()}
}

// Answer is activation.Answerer: a well-formed request becomes a call.
func (f *FrontEnd) Answer(ctx context.Context, req activation.Request, peer net.Addr) []byte {
	c := &core.Call{Method: Method, Transport: "activation", Caller: core.Caller{Addr: addrOf(peer)}}
	if req.RTCReset != nil {
		c.Args = []any{req.Serial, req.RTCReset.Timestamp, req.RTCReset.Count}
	} else {
		c.Args = []any{req.Serial}
	}
	return f.call(ctx, c)
}

// invalid is activation.InvalidFunc: a request that could not be read is
// still a call, answered as the module answers an unknown laptop.
func (f *FrontEnd) invalid(ctx context.Context, raw []byte, peer net.Addr, err error) []byte {
	c := &core.Call{Method: Method, Transport: "activation", Caller: core.Caller{Addr: addrOf(peer)},
		Args: []any{"", "", "", err.Error()}}
	return f.call(ctx, c)
}

// call runs c through the chain. A refusal (a rate limit, an ACL line, a
// module that cannot answer) closes the connection with nothing: the XO
// then tries its next network, as it does when the server is down.
func (f *FrontEnd) call(ctx context.Context, c *core.Call) []byte {
	out, err := f.env.App.Handle(ctx, c)
	if err != nil {
		if f.env.Log.Enabled(ctx, slog.LevelDebug) {
			f.env.Log.Debug("activation request refused", "id", c.ID, "peer", c.Caller.Addr.String(), "err", err)
		}
		return nil
	}
	b, _ := out.([]byte)
	return b
}

// addrOf is a peer's address and port (IPv4-mapped IPv6 unmapped).
func addrOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a != nil {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	return netip.AddrPort{}
}
