package labfront

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"aula/internal/ca"
	"aula/internal/core"
	"aula/internal/idlepoll"
	"aula/internal/limit"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// agentConn is one agent's connection.
type agentConn struct {
	f        *FrontEnd
	tc       *tls.Conn
	addr     netip.AddrPort
	certs    []*x509.Certificate
	identity string
	serial   string // of its client certificate (hex)
	computer string
	in       *tlsInput      // the TLS layer, read through a recordConn
	r        *labxml.Reader // nil while idle (idle.go)
	endConn  func()         // closes the connection rawtcp was told to keep (Detach)

	wmu sync.Mutex // serialises writes

	mu       sync.Mutex
	inflight int64           // the action sent and not yet answered
	claiming bool            // a core call that may claim an action is running
	wantPull bool            // actions were queued while claiming
	offered  labapi.Delivery // handed over by a launch while claiming (sent once the claim ends empty)
	why      string
	parked   *idlepoll.Wait // the poller's wait while idle (idle.go)
}

// serve runs one connection from handshake to the agent's hello (rawtcp
// closes it if serve returns before that), then detaches it from rawtcp
// and hands it to messages (idle.go), which ends it.
func (f *FrontEnd) serve(raw net.Conn) {
	handedOff := false
	ac := &agentConn{f: f}
	if ap, err := netip.ParseAddrPort(raw.RemoteAddr().String()); err == nil {
		ac.addr = ap
	}
	f.hsSem <- struct{}{}
	raw.SetDeadline(time.Now().Add(f.handshakeTimeout.Get()))
	rc := &recordConn{Conn: raw}
	ac.tc = tls.Server(rc, f.tls)
	ac.in = &tlsInput{tc: ac.tc, rc: rc}
	err := ac.tc.Handshake()
	<-f.hsSem
	f.noteActivity()
	if err != nil {
		lvl := f.log.Debug
		if errors.Is(err, ca.ErrRevoked) || strings.Contains(err.Error(), "revoked") {
			lvl = f.log.Warn
		}
		lvl("lab: agent handshake failed", "addr", ac.addr.String(), "err", err)
		drain(raw)
		return
	}
	// Past the handshake (which a flood of silent connections never
	// finishes) the connection is not shed for a newcomer; the hello
	// timeout bounds one that then says nothing.
	limit.Busy(raw)
	defer func() {
		if !handedOff {
			ac.release()
		}
	}()
	cs := ac.tc.ConnectionState()
	raw.SetDeadline(time.Now().Add(f.helloAfter.Get()))
	if len(cs.VerifiedChains) == 0 {
		ac.enrol()
		return
	}
	ac.certs = cs.PeerCertificates
	ac.identity, ac.serial = ca.PeerName(cs), ca.PeerSerial(cs)
	if !ac.hello() {
		return
	}
	raw.SetDeadline(time.Time{})
	ac.endConn = f.srv.Detach(raw)
	handedOff = true
	ac.messages()
}

// end ends a connection that got past its hello.
func (ac *agentConn) end(reason string) {
	ac.finish(reason)
	ac.release()
	ac.endConn()
}

// call runs an agent method as this agent.
func (ac *agentConn) call(method string, named map[string]any) (any, error) {
	c := &core.Call{Method: method, Named: named, Transport: "lab",
		Caller: core.Caller{Identity: ac.identity, Addr: ac.addr}, Creds: core.Credentials{PeerCerts: ac.certs}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return ac.f.env.App.Handle(ctx, c)
}

// send writes one message.
func (ac *agentConn) send(m *labxml.Message) error {
	b := labxml.Encode(m)
	ac.wmu.Lock()
	defer ac.wmu.Unlock()
	ac.tc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := ac.tc.Write(b)
	return err
}

// sendError tells the agent what was wrong with its message.
func (ac *agentConn) sendError(action int64, msg string) {
	ac.send((&labxml.Message{Kind: labxml.Command, Code: labapi.CodeError, Name: "Error", Action: action}).Add("error", msg))
}

func publicMsg(err error) string { return core.AsError(err).PublicMessage(false) }

// hello reads the agent's announcement and records it.
func (ac *agentConn) hello() bool {
	f := ac.f
	m, err := ac.next()
	if err != nil {
		if labxml.IsMessageError(err) {
			ac.sendError(0, err.Error())
		}
		return false
	}
	if m.Kind != labxml.Response || m.Code != labapi.CodeHello {
		ac.sendError(0, "announce yourself first (RESPUESTA codigo=90)")
		return false
	}
	ac.mu.Lock()
	ac.claiming = true
	ac.mu.Unlock()
	out, err := ac.call("lab.agentHello", map[string]any{"hostname": m.Get("hostname"), "macs": m.Get("mac"),
		"ips": m.Get("ip"), "os": m.Get("os"), "version": m.Get("version"), "serial": ac.serial})
	if err != nil {
		f.log.Warn("lab: agent refused", "identity", ac.identity, "addr", ac.addr.String(), "err", err)
		ac.sendError(0, publicMsg(err))
		return false
	}
	next := out.(labapi.Next)
	ac.computer = next.Computer
	f.mu.Lock()
	old := f.byComp[ac.computer]
	f.byComp[ac.computer] = ac
	f.mu.Unlock()
	if old != nil {
		old.shut("replaced by a new connection of the same agent")
	}
	ac.send((&labxml.Message{Kind: labxml.Command, Code: labapi.CodeWelcome, Name: "Bienvenido"}).Add("computer", ac.computer))
	ac.delivered(next.Delivery)
	return true
}

// delivered ends a claiming call: it sends the claimed action, or pulls
// again if actions were queued meanwhile.
func (ac *agentConn) delivered(d labapi.Delivery) {
	ac.mu.Lock()
	ac.claiming = false
	if d.Action == 0 && ac.offered.Action != 0 {
		d, ac.offered = ac.offered, labapi.Delivery{}
	}
	ac.inflight = d.Action
	again := d.Action == 0 && ac.wantPull
	ac.wantPull = false
	ac.mu.Unlock()
	if d.Action != 0 {
		ac.write(d)
		return
	}
	if again {
		ac.pull()
	}
}

// write sends an action to the agent.
func (ac *agentConn) write(d labapi.Delivery) {
	m := &labxml.Message{Kind: labxml.Command, Code: d.Code, Name: d.Name, Action: d.Action}
	for _, k := range sortedKeys(d.Params) {
		m.Add(k, d.Params[k])
	}
	if err := ac.send(m); err != nil {
		ac.shut("write failed: " + err.Error())
	}
}

// offer takes an action a launch marked sent for this agent (labapi.
// TopicIdle): it goes out now, or when the claim running ends empty.
func (ac *agentConn) offer(d labapi.Delivery) {
	ac.mu.Lock()
	if ac.claiming || ac.inflight != 0 {
		// The launch saw nothing else sent or queued for this agent, so
		// the claim running finds nothing; if it does find an action, this
		// one follows it.
		if ac.offered.Action == 0 {
			ac.offered = d
		} else {
			ac.f.log.Error("lab: a second action handed over while one waits; it stays sent until the agent reconnects", "computer", ac.computer, "accion", d.Action)
		}
		ac.mu.Unlock()
		return
	}
	ac.inflight = d.Action
	ac.mu.Unlock()
	ac.write(d)
}

// pull claims the agent's next action if it has none in flight.
func (ac *agentConn) pull() {
	ac.mu.Lock()
	if ac.claiming || ac.inflight != 0 {
		ac.wantPull = ac.claiming
		ac.mu.Unlock()
		return
	}
	ac.claiming = true
	ac.mu.Unlock()
	out, err := ac.call("lab.agentNext", nil)
	if err != nil {
		ac.f.log.Error("lab: claiming an action", "computer", ac.computer, "err", err)
		ac.delivered(labapi.Delivery{})
		return
	}
	ac.delivered(out.(labapi.Next).Delivery)
}

// step reads and handles one message; ended says the connection ended,
// and reason why.
func (ac *agentConn) step() (reason string, ended bool) {
	f := ac.f
	m, err := ac.next()
	f.noteActivity()
	if err != nil {
		if labxml.IsMessageError(err) {
			f.log.Warn("lab: bad message from agent", "computer", ac.computer, "err", err)
			var me *labxml.MessageError
			errors.As(err, &me)
			if ac.send((&labxml.Message{Kind: labxml.Command, Code: labapi.CodeError, Name: "Error", Action: me.Action}).Add("error", err.Error())) != nil {
				return "write failed", true
			}
			return "", false
		}
		return endReason(err), true
	}
	if m.Kind != labxml.Response || m.Action == 0 {
		ac.sendError(m.Action, fmt.Sprintf("unexpected %s codigo=%d: agents answer commands with RESPUESTA and their accion", m.Kind, m.Code))
		return "", false
	}
	ac.mu.Lock()
	inflight := ac.inflight
	ok := inflight == m.Action && !ac.claiming
	if ok {
		ac.claiming = true
	}
	ac.mu.Unlock()
	if !ok {
		f.log.Warn("lab: result for an action not in flight ignored", "computer", ac.computer, "accion", m.Action, "in-flight", inflight)
		ac.sendError(m.Action, fmt.Sprintf("action %d is not in flight on this connection; result ignored", m.Action))
		return "", false
	}
	params := make(map[string]any, len(m.Params))
	for _, p := range m.Params {
		params[p.Name] = p.Value
	}
	out, err := ac.call("lab.agentResult", map[string]any{"action": m.Action, "code": m.Code, "ok": m.Result == labxml.Success,
		"text": m.Text, "ip": m.IP, "params": params})
	if err != nil {
		f.log.Warn("lab: result refused", "computer", ac.computer, "accion", m.Action, "err", err)
		ac.sendError(m.Action, publicMsg(err))
		ac.delivered(labapi.Delivery{})
		return "", false
	}
	ac.delivered(out.(labapi.Next).Delivery)
	return "", false
}

// endReason says why reading ended.
func endReason(err error) string {
	if errors.Is(err, io.EOF) {
		return "connection closed by the agent"
	}
	return err.Error()
}

// shut closes the connection from the server's side. A parked connection
// has no goroutine to notice (idle.go): shut stops its wait and ends it.
func (ac *agentConn) shut(why string) {
	ac.mu.Lock()
	if ac.why == "" {
		ac.why = why
	}
	w := ac.parked
	ac.parked = nil
	ac.mu.Unlock()
	if w != nil && w.Stop() {
		go ac.end("")
	}
	ac.tc.NetConn().Close()
}

// finish records the end: the action in flight fails with the reason;
// the computer is off unless a newer connection replaced this one.
func (ac *agentConn) finish(reason string) {
	f := ac.f
	ac.mu.Lock()
	if ac.why != "" {
		reason = ac.why
	}
	action, unsent := ac.inflight, ac.offered.Action
	ac.mu.Unlock()
	f.mu.Lock()
	off := f.byComp[ac.computer] == ac
	if off {
		delete(f.byComp, ac.computer)
	}
	f.mu.Unlock()
	if _, err := ac.call("lab.agentGone", map[string]any{"action": action, "unsent": unsent, "reason": reason, "off": off}); err != nil {
		f.log.Error("lab: recording a disconnection", "computer", ac.computer, "err", err)
	}
	f.log.Info("lab: agent disconnected", "computer", ac.computer, "reason", reason, "in-flight", action)
}

// onQueued pulls for every connected agent with new actions, and sends
// the actions a launch handed straight to idle agents. One whose agent is
// gone already stays sent until the module's sweep queues it again
// (its computer is off then).
func (f *FrontEnd) onQueued(ctx context.Context, ev core.Event) {
	e, ok := ev.Data.(labapi.QueuedEvent)
	if !ok {
		return
	}
	f.mu.Lock()
	var conns []*agentConn
	for _, c := range e.Computers {
		if ac := f.byComp[c]; ac != nil {
			conns = append(conns, ac)
		}
	}
	type offer struct {
		ac *agentConn
		d  labapi.Delivery
	}
	offers := make([]offer, 0, len(e.Sent))
	for c, d := range e.Sent {
		if ac := f.byComp[c]; ac != nil {
			offers = append(offers, offer{ac, d})
		}
	}
	f.mu.Unlock()
	for _, ac := range conns {
		go ac.pull()
	}
	for _, o := range offers {
		go o.ac.offer(o.d)
	}
}

// onIdle answers a launch's labapi.IdleQuery: the agents connected here
// with nothing in flight or being claimed.
func (f *FrontEnd) onIdle(ctx context.Context, ev core.Event) {
	q, ok := ev.Data.(*labapi.IdleQuery)
	if !ok {
		return
	}
	f.mu.Lock()
	conns := make([]*agentConn, 0, len(f.byComp))
	for _, ac := range f.byComp {
		conns = append(conns, ac)
	}
	f.mu.Unlock()
	for _, ac := range conns {
		ac.mu.Lock()
		if !ac.claiming && ac.inflight == 0 && ac.offered.Action == 0 {
			q.Idle[ac.computer] = true
		}
		ac.mu.Unlock()
	}
}
