package chatfront

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/wire/chat"
)

// writeTimeout bounds sending the greeting and the reply.
const writeTimeout = 30 * time.Second

// readers are the connections' read buffers (one request each: the
// netstring's body is copied out, so the buffer goes back at once).
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// serve answers the one request of a connection (rawtcp closes it after).
// The connection is idle, and may be shed for a newcomer when the server
// is nearly full, until its request has arrived whole. ctx ends at a
// forced shutdown.
func (f *FrontEnd) serve(ctx context.Context, c net.Conn) {
	o := &f.lim
	dr := &deadlineReader{c: c, hard: time.Now().Add(o.readTimeout), idle: o.idleTimeout}
	nonce := ""
	if o.hmac {
		nonce = chat.NewNonce()
		if f.write(c, chat.EncodeGreeting(nonce)) != nil {
			return
		}
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(dr)
	body, err := chat.ReadNetstring(br, o.maxLen)
	br.Reset(nil)
	readers.Put(br)
	if err != nil {
		if errors.Is(err, io.EOF) || limit.IsShed(c) {
			return // left without a byte, or closed to make room: nothing to answer
		}
		f.log.Debug("chat request unreadable", "addr", c.RemoteAddr().String(), "err", err)
		f.fail(c, readError(err))
		return
	}
	limit.Busy(c)
	env, err := chat.DecodeEnvelope(body)
	if err != nil {
		f.fail(c, envelopeError(err))
		return
	}
	sign := func(magic string) string { return chat.MD5Digest(env.Content, magic) }
	if nonce != "" {
		sign = func(magic string) string { return chat.HMACDigest(nonce, env.Content, magic) }
	}
	who, ok := f.identify(env.Digest, sign)
	if !ok {
		// As IVLE: a bad digest closes the connection without a byte.
		f.log.Info("chat request refused: bad digest", "addr", c.RemoteAddr().String())
		return
	}
	msg, err := chat.DecodeContent(env.Content)
	if err != nil {
		f.fail(c, chat.ErrorObject{Type: "ValueError", Value: err.Error()})
		return
	}
	call, shape, eo := route(msg, who)
	if eo != nil {
		f.fail(c, *eo)
		return
	}
	call.Transport, call.Debug = "chat", f.env.Debug
	call.Caller.Addr = peerAddr(c)
	ctx, cancel := context.WithTimeout(ctx, o.callTimeout)
	out, err := f.env.App.Handle(ctx, call)
	cancel()
	if err != nil {
		f.write(c, shape.failure(call, core.AsError(err)))
		return
	}
	reply, err := chat.MarshalPy(out)
	if err != nil {
		f.log.Error("chat reply not serialisable", "id", call.ID, "method", call.Method, "err", err)
		f.fail(c, chat.ErrorObject{Type: "TypeError", Value: "reply is not JSON serializable (request id " + call.ID + ")"})
		return
	}
	f.write(c, reply)
}

// who is the client a digest proved: a configured client, or the owner of
// a console whose own magic signed the request.
type who struct {
	name, via string
	console   string // the console's handle, for its magic
}

// identify matches the digest against every client magic and every
// running console's magic.
func (f *FrontEnd) identify(digest string, sign func(string) string) (who, bool) {
	via := "magic"
	if f.lim.hmac {
		via = chat.AuthHMAC
	}
	keys := f.keys.current()
	if i := chat.Match(keys, digest, sign); i >= 0 {
		return who{name: keys[i].Name, via: via}, true
	}
	if cons := f.consoles(); cons != nil {
		var found who
		ok := false
		cons.ChatKeys(func(handle, owner, magic string) {
			if chat.Match([]chat.Key{{Name: owner, Magic: magic}}, digest, sign) == 0 && !ok {
				found, ok = who{name: owner, via: "console-" + via, console: handle}, true
			}
		})
		return found, ok
	}
	return who{}, false
}

// ConsoleKeys is what a console service offers the front end: each running
// console's handle, owner and magic, so that IVLE's {"cmd", "text"}
// requests signed with the magic console.start returned reach their
// console, as they reached IVLE's per-console server.
type ConsoleKeys interface {
	ChatKeys(yield func(handle, owner, magic string))
}

func (f *FrontEnd) consoles() ConsoleKeys {
	m, ok := f.env.App.Module("console")
	if !ok {
		return nil
	}
	ck, _ := m.(ConsoleKeys)
	return ck
}

// fail sends an error object and closes (the caller's defer closes).
func (f *FrontEnd) fail(c net.Conn, e chat.ErrorObject) {
	f.write(c, e.Encode())
}

func (f *FrontEnd) write(c net.Conn, p []byte) error {
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	return chat.WriteNetstring(c, p)
}

func peerAddr(c net.Conn) netip.AddrPort {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// deadlineReader reads with a deadline that is the sooner of the request's
// hard deadline and the idle limit from now, so a client neither trickles
// a request for ever nor stalls in the middle of one.
type deadlineReader struct {
	c    net.Conn
	hard time.Time
	idle time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	dl := time.Now().Add(d.idle)
	if d.hard.Before(dl) {
		dl = d.hard
	}
	d.c.SetReadDeadline(dl)
	return d.c.Read(p)
}
