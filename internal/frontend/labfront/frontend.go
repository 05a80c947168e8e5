// Package labfront is the lab agents' listener (`--lab-listen`, default
// :2009): TLS 1.3 with client certificates from aula's CA, the XML
// messages of internal/wire/labxml, one long-lived connection per agent.
//
// It turns what agents say into calls of the lab module's agent methods
// (lab.agentEnrol, agentHello, agentNext, agentResult, agentGone) through
// App.Handle with Transport "lab", and learns of new actions from the
// module's labapi.TopicQueued event. It keeps no lab state of its own
// beyond which connection belongs to which computer and which action each
// has in flight.
package labfront

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/ca"
	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/idlepoll"
	"aula/internal/rawtcp"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "lab", Section: "lab", New: func() core.FrontEnd { return &FrontEnd{} },
		Help: "lab agents (`aula agent`): XML messages over TLS 1.3 with aula CA client certificates (--lab-listen, default :2009)"})
}

// FrontEnd is the agent listener.
type FrontEnd struct {
	listen, caDir                *config.Opt[string]
	hosts                        *config.Opt[[]string]
	maxConns, maxPerIP, maxMsg   *config.Opt[int]
	handshakeTimeout, helloAfter *config.Opt[time.Duration]

	env     *core.FrontEnv
	log     *slog.Logger
	tls     *tls.Config
	checker *ca.Checker
	caDirV  string
	srv     *rawtcp.Server // the listener: accept loop, caps, connections
	addr    string
	hsSem   chan struct{}
	readers sync.Pool        // *labxml.Reader of idle connections' (idle.go)
	poller  *idlepoll.Poller // waits for idle connections' sockets (idle.go)
	rotate  chan struct{}    // closed by Shutdown: stops replacing ticket keys, and settleLoop

	activity atomic.Uint64 // agent events, for settleLoop (settle.go)

	mu     sync.Mutex
	byComp map[string]*agentConn
}

// Configure declares the [lab] listener options.
func (f *FrontEnd) Configure(s *config.Section) {
	f.listen = s.String("listen", ":2009", "lab agents' listener, TLS 1.3 with aula CA client certificates (empty turns it off)")
	f.caDir = s.String("ca-dir", "", "the CA whose certificates agents present and that signs the listener's own (empty: DATA-DIR/ca, where `aula ca init` makes it)")
	f.hosts = s.List("hosts", nil, "names and addresses agents dial, for the listener's certificate (empty: this host's name, localhost, 127.0.0.1, ::1)")
	f.maxConns = s.Int("max-conns", 20000, "open agent connections at most (0: no cap); past 7/8 of it a new connection first closes the one that has waited longest for its TLS handshake")
	f.maxPerIP = s.Int("max-conns-per-ip", 8, "open agent connections per source address at most (0: no cap); one agent needs one")
	f.maxMsg = s.Int("max-message", labxml.DefaultMaxMessage, "longest message an agent may send, in bytes (inventories are the long ones)")
	f.handshakeTimeout = s.Duration("handshake-timeout", 10*time.Second, "time an agent gets to finish the TLS handshake")
	f.helloAfter = s.Duration("hello-timeout", 10*time.Second, "time an agent gets to announce itself (or present its token) after the handshake")
}

// Bind opens the listener. Without a CA the listener stays off (with a
// warning): agents need one, and a server without labs needs no CA.
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	f.env, f.log = env, env.Log
	if f.log == nil {
		f.log = slog.Default()
	}
	if f.listen == nil || f.listen.Get() == "" {
		return nil
	}
	f.caDirV = f.caDir.Get()
	if f.caDirV == "" {
		f.caDirV = filepath.Join(env.DataDir, "ca")
	}
	if _, err := os.Stat(filepath.Join(f.caDirV, "ca.crt")); errors.Is(err, os.ErrNotExist) {
		f.log.Warn("lab agent listener off: no CA (run `aula ca init`)", "ca-dir", f.caDirV)
		return nil
	}
	checker, err := ca.NewChecker(f.caDirV)
	if err != nil {
		return fmt.Errorf("lab agent listener: CA %s: %w", f.caDirV, err)
	}
	cert, err := serverCert(f.caDirV, filepath.Join(env.DataDir, "lab"), f.hosts.Get())
	if err != nil {
		return fmt.Errorf("lab agent listener: %w", err)
	}
	f.checker = checker
	f.tls = &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		ClientAuth:         tls.VerifyClientCertIfGiven,
		ClientCAs:          checker.Pool(),
		VerifyConnection:   checker.VerifyConnection,
		GetConfigForClient: preferChaCha, // suite.go
	}
	tickets, err := sessionTicketKeys(filepath.Join(env.DataDir, "lab"), time.Now())
	if err != nil {
		return fmt.Errorf("lab agent listener: session ticket keys: %w", err)
	}
	f.tls.SetSessionTicketKeys(tickets)
	poller, err := idlepoll.New()
	if err != nil {
		return fmt.Errorf("lab agent listener: %w", err)
	}
	inner, err := core.ListenTCP(f.listen.Get())
	if err != nil {
		poller.Close()
		return fmt.Errorf("lab agent listener: %w", err)
	}
	f.poller = poller
	f.srv = rawtcp.New(rawtcp.Config{Name: "lab agent", MaxConns: f.maxConns.Get(), MaxPerIP: f.maxPerIP.Get(),
		OnReject: func(c net.Conn, reason string) {
			f.log.Warn("lab: agent connection refused", "addr", c.RemoteAddr().String(), "why", reason)
		},
		Handler:    func(_ context.Context, c net.Conn) { f.serve(c) },
		OnShutdown: func(c net.Conn) { c.Close() }, // agents reconnect to the next server
		Logger:     f.log}, inner)
	if env.App != nil {
		env.App.AddMetrics(func(w io.Writer) { f.srv.WriteMetrics(w, "lab") })
	}
	f.addr = inner.Addr().String()
	// Handshakes are CPU work: a reconnect storm after a restart waits for
	// a slot rather than making every handshake slow enough to time out.
	f.hsSem = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	f.byComp = map[string]*agentConn{}
	if env.App != nil && env.App.Events != nil {
		env.App.Events.Subscribe(labapi.TopicQueued, f.onQueued)
		env.App.Events.Subscribe(labapi.TopicIdle, f.onIdle)
	}
	return nil
}

// Addrs reports the bound listener ("agents").
func (f *FrontEnd) Addrs() map[string]string {
	if f.srv == nil {
		return map[string]string{}
	}
	return map[string]string{"agents": f.addr}
}

// Start accepts agents in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	f.log.Info("lab agent listener", "addr", f.addr, "ca-dir", f.caDirV)
	f.srv.Start(f.env.Fail)
	f.rotate = make(chan struct{})
	go f.rotateTicketKeys(filepath.Join(f.env.DataDir, "lab"), time.Hour, time.Now, f.rotate)
	go f.settleLoop(f.rotate)
	return nil
}

// Shutdown stops accepting and closes every agent connection (agents
// reconnect to the next server); their in-flight actions are recorded as
// failed by the connection's end, while the module still runs.
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	if f.rotate != nil {
		close(f.rotate)
		f.rotate = nil
	}
	f.mu.Lock()
	agents := make([]*agentConn, 0, len(f.byComp))
	for _, ac := range f.byComp {
		agents = append(agents, ac)
	}
	f.mu.Unlock()
	for _, ac := range agents {
		ac.shut("server shutting down") // the reason their end records
	}
	err := f.srv.Shutdown(ctx) // closes the rest: handshakes, hellos, enrolments
	// Any connection still parked was closed behind its back (by the
	// listener when ctx ended): closing the poller wakes it to end itself.
	f.poller.Close()
	return err
}
