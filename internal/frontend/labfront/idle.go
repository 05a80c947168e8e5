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
// server's memory per agent (bench/labbench). These pieces make that
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
//     without reading (the poller below; waitReadable for the hello), then
//     takes a reader again;
//   - that wait holds no goroutine: the socket goes into the front end's
//     idlepoll.Poller (one epoll set, one goroutine for all agents), which
//     starts a goroutine to read only when the agent sends something
//     (messages, park, wake). A goroutine blocked in a read for each idle
//     agent cost its stack, 2.4 KiB per agent after the connection storm
//     and 4.3 KiB after a probe round (bench/labbench: the runtime starts
//     goroutines at the average stack size it saw, and a round's SQLite
//     calls are deep). Where the poller cannot watch the socket (not
//     Linux) the wait runs in a goroutine started afresh each time the
//     agent falls idle (await), which needs the smallest stack;
//   - whoever closes a parked connection (shut) stops its wait first and
//     ends the connection itself, since a closed socket just leaves the
//     epoll set without an event.
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

// readerSize is an agent connection's read buffer while it reads: a probe
// round has every agent reading at once, and what they held then stays in
// the pool, and in the process's size, after the round. `aula agent` writes
// 1 KiB at a time (agent.SendPiece), so its TLS records are small; a larger
// message takes a few more reads of the TLS layer, which copies from its
// own buffer.
const readerSize = 512

// reader takes a pooled message reader and points it at in.
func (f *FrontEnd) reader(in *tlsInput) *labxml.Reader {
	if r, ok := f.readers.Get().(*labxml.Reader); ok {
		r.Reset(in)
		return r
	}
	return labxml.NewReaderSize(in, readerSize, f.maxMsg.Get())
}

// messages handles the agent's messages from its hello on, ending the
// connection when they end.
func (ac *agentConn) messages() {
	if ac.idle() {
		ac.park()
		return
	}
	ac.handle()
}

// handle reads and handles a message, and more while some are buffered,
// then parks the connection until the agent sends more.
func (ac *agentConn) handle() {
	for {
		if reason, ended := ac.step(); ended {
			ac.end(reason)
			return
		}
		if ac.idle() {
			ac.park()
			return
		}
	}
}

// park waits for the agent's next bytes in the front end's poller, with no
// goroutine (wake continues), or in a fresh goroutine where the poller
// cannot watch the socket. A connection shut meanwhile ends here: shut
// stops a parked wait under ac.mu, and a park after it sees why.
func (ac *agentConn) park() {
	ac.mu.Lock()
	if ac.why != "" {
		ac.mu.Unlock()
		ac.end("")
		return
	}
	w, err := ac.f.poller.Wait(ac.in.rc.Conn, ac.wake)
	if err == nil {
		ac.parked = w
		ac.mu.Unlock()
		return
	}
	ac.mu.Unlock()
	go ac.await()
}

// wake runs when a parked connection's socket has something: the agent's
// bytes, its end, or (the poller closing) nothing, which the read tells.
func (ac *agentConn) wake() {
	ac.mu.Lock()
	ac.parked = nil
	ac.mu.Unlock()
	ac.r = ac.f.reader(ac.in)
	ac.handle()
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
