package labfront

import (
	"crypto/tls"
	"io"
	"net"
	"time"

	"aula/internal/wire/labxml"
)

// An idle agent connection holds no read buffer: most of the day an agent
// says nothing, and 10,000 of them holding a 4 KiB message reader each,
// plus what crypto/tls keeps of the last records it read, was most of the
// server's memory per agent (bench/labbench). Three pieces make that
// possible:
//
//   - recordConn sits under the TLS layer and never reads past the end of
//     the TLS record being read, so once crypto/tls has handed out a
//     record's plaintext it holds no further input of the connection;
//   - tlsInput sits above it and notes whether the last read took all the
//     plaintext crypto/tls had (it returned less than asked for);
//   - between messages, a connection whose message reader holds nothing
//     and whose TLS layer holds nothing gives its reader back to the
//     front end's pool and waits for the socket to become readable
//     without reading (waitReadable), then takes a reader again;
//   - that wait runs in a goroutine of its own, started afresh each time
//     the agent falls idle (messages, await): the TLS handshake and the
//     calls into the core (SQLite, in pure Go, is deep) grow a goroutine's
//     stack to tens of KiB, a parked goroutine's stack only halves per
//     garbage collection and never below four times what it uses, and on
//     the connection's one goroutine they left about 16 KiB of stack per
//     idle agent. A fresh goroutine that only waits needs the smallest.
//
// A message that arrives in pieces is read as before, holding the reader
// until it is complete: the length limit and the error-and-continue
// handling of bad messages are the reader's own (labxml.Reader).

// recordConn limits every read to the rest of the current TLS record
// (header, then body), so crypto/tls never buffers bytes of the next one.
type recordConn struct {
	net.Conn
	hdr  [5]byte
	hn   int // header bytes of the current record read so far
	body int // body bytes of the current record still to read
}

func (c *recordConn) Read(p []byte) (int, error) {
	inHeader := c.body == 0
	want := c.body
	if inHeader {
		want = len(c.hdr) - c.hn
	}
	if len(p) > want {
		p = p[:want]
	}
	n, err := c.Conn.Read(p)
	if inHeader {
		c.hn += copy(c.hdr[c.hn:], p[:n])
		if c.hn == len(c.hdr) {
			c.hn, c.body = 0, int(c.hdr[3])<<8|int(c.hdr[4])
		}
	} else {
		c.body -= n
	}
	return n, err
}

// atBoundary reports whether the next byte on the socket starts a record.
func (c *recordConn) atBoundary() bool { return c.hn == 0 && c.body == 0 }

// tlsInput reads the TLS layer and remembers whether crypto/tls may still
// hold plaintext: it does unless its last read returned less than asked.
type tlsInput struct {
	tc      *tls.Conn
	rc      *recordConn
	drained bool
}

func (t *tlsInput) Read(p []byte) (int, error) {
	n, err := t.tc.Read(p)
	t.drained = n < len(p)
	return n, err
}

// empty reports whether nothing read from the socket is waiting in the
// TLS layer: the next byte of the stream is still on the socket.
func (t *tlsInput) empty() bool { return t.drained && t.rc.atBoundary() }

// next returns the agent's next message. Between messages, when neither
// its reader nor the TLS layer holds input, the connection gives its
// reader back and waits for the socket first (see the top of this file).
func (ac *agentConn) next() (*labxml.Message, error) {
	f := ac.f
	if ac.r != nil && ac.r.Buffered() == 0 && ac.in.empty() {
		ac.release()
	}
	if ac.r == nil {
		if err := waitReadable(ac.in.rc.Conn); err != nil {
			return nil, err
		}
		ac.r = f.reader(ac.in)
	}
	return ac.r.Next()
}

// release gives the connection's reader back (one holding input is
// dropped instead, when the connection ends).
func (ac *agentConn) release() {
	if ac.r != nil && ac.r.Buffered() == 0 {
		ac.f.readers.Put(ac.r)
	}
	ac.r = nil
}

// reader takes a pooled message reader and points it at in.
func (f *FrontEnd) reader(in *tlsInput) *labxml.Reader {
	if r, ok := f.readers.Get().(*labxml.Reader); ok {
		r.Reset(in)
		return r
	}
	return labxml.NewReader(in, f.maxMsg.Get())
}

// messages handles the agent's messages from its hello on, ending the
// connection when they end.
func (ac *agentConn) messages() {
	if ac.idle() {
		go ac.await()
		return
	}
	ac.handle()
}

// handle reads and handles a message, and more while some are buffered,
// then continues in a fresh goroutine that waits for more (await).
func (ac *agentConn) handle() {
	for {
		if reason, ended := ac.step(); ended {
			ac.end(reason)
			return
		}
		if ac.idle() {
			go ac.await()
			return
		}
	}
}

// idle reports whether nothing of the agent's stream is buffered; it
// gives the reader back then.
func (ac *agentConn) idle() bool {
	if ac.r != nil && (ac.r.Buffered() != 0 || !ac.in.empty()) {
		return false
	}
	ac.release()
	return true
}

// await waits for the agent's next bytes without a buffer.
func (ac *agentConn) await() {
	if err := waitReadable(ac.in.rc.Conn); err != nil {
		ac.end(endReason(err))
		return
	}
	ac.r = ac.f.reader(ac.in)
	ac.handle()
}

// drain reads and drops what the peer sends, for a second at most, before
// a refused handshake's connection is closed. recordConn leaves unread an
// agent's first message sent behind its part of the handshake (TLS 1.3
// lets a client write before the server has checked its certificate), and
// closing a socket with unread input sends a reset, which can destroy the
// alert saying why (a revoked certificate) before the agent reads it.
func drain(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}
