package limit

import (
	"net"
	"testing"
	"time"
)

// wrapped stands for a *tls.Conn: Busy and Idle reach through NetConn.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// TestListenerShedsOldestIdle: past ShedAt, each newcomer closes the
// connection idle longest; busy ones are kept; with nothing idle and the
// cap reached, the newcomer is refused.
func TestListenerShedsOldestIdle(t *testing.T) {
	l := NewListener(listen(t), ListenerConfig{MaxConns: 4, ShedAt: 3})
	accepted := serve(t, l)
	addr := l.Addr().String()
	open := func() (client, server net.Conn) {
		t.Helper()
		client = dialFrom(t, "", addr)
		select {
		case server = <-accepted:
		case <-time.After(10 * time.Second):
			t.Fatal("not accepted")
		}
		return client, server
	}
	ca, sa := open()
	_, sb := open()
	cc, sc := open()
	if !Busy(sb) || !Busy(wrapped{sc}) {
		t.Fatal("Busy did not recognise the listener's connections")
	}
	if Busy(ca) {
		t.Fatal("Busy claimed a connection the listener did not make")
	}
	// Three open (ShedAt): the fourth closes a, the only idle one.
	_, sd := open()
	if !closedByServer(ca) || !IsShed(sa) || l.Conns().Shed() != 1 || l.Active() != 3 {
		t.Fatalf("a not shed: shed=%d active=%d", l.Conns().Shed(), l.Active())
	}
	// c waits for its next request again: it is now idle, after d.
	Idle(sc)
	ce, _ := open() // sheds d, idle longer than c
	if !IsShed(sd) || IsShed(sc) {
		t.Fatal("the connection idle longest was not the one shed")
	}
	Busy(sc)
	// b, c busy, e idle: f sheds e.
	_, sf := open()
	if !closedByServer(ce) {
		t.Fatal("e not shed")
	}
	// b, c busy, f idle, then busy: nothing idle, 3 open, under the cap.
	Busy(sf)
	_, sg := open()
	Busy(sg)
	if l.Active() != 4 {
		t.Fatalf("active %d, want 4", l.Active())
	}
	if !closedByServer(dialFrom(t, "", addr)) || l.Rejected() != 1 {
		t.Fatalf("over the cap with nothing idle: rejected=%d", l.Rejected())
	}
	if IsShed(sb) || IsShed(sc) || IsShed(sf) || IsShed(sg) {
		t.Fatal("a busy connection was shed")
	}
	// Closing a shed connection again gives nothing back twice.
	sa.Close()
	sd.Close()
	if l.Active() != 4 {
		t.Fatalf("active %d after closing shed connections", l.Active())
	}
	cc.Close()
}

// TestConnsSharedByListeners: the caps count every listener's connections.
func TestConnsSharedByListeners(t *testing.T) {
	cs := NewConns(ListenerConfig{MaxConns: 1})
	l1, l2 := cs.Listen(listen(t)), cs.Listen(listen(t))
	a1, a2 := serve(t, l1), serve(t, l2)
	dialFrom(t, "", l1.Addr().String())
	<-a1
	if !closedByServer(dialFrom(t, "", l2.Addr().String())) {
		t.Fatal("second listener admitted past the shared cap")
	}
	select {
	case <-a2:
		t.Fatal("second listener returned a connection over the cap")
	default:
	}
}
