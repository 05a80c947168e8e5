package loadgen

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// BareReply is what both reference servers answer.
const BareReply = "ok\n"

// RefServer is a running reference server on 127.0.0.1.
type RefServer struct {
	Addr string // "127.0.0.1:port"
	URL  string // "http://127.0.0.1:port" for BareHTTP; empty for BareTCP
	stop func()
}

// Stop closes the server and its connections.
func (s *RefServer) Stop() { s.stop() }

// BareHTTP starts a net/http server that reads each request body and writes
// BareReply with a Content-Length: the most any HTTP server in Go can do
// here, and so the ceiling HTTP benchmarks are measured against.
func BareHTTP() (*RefServer, error) {
	return serveHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		writeBareReply(w)
	}), nil)
}

// Set as ready-made header values so a reference handler spends nothing on
// canonicalising names or sniffing the content type.
var (
	bareContentType   = []string{"text/plain"}
	bareContentLength = []string{"3"}
	bareReply         = []byte(BareReply)
)

// writeBareReply answers BareReply as cheaply as net/http allows.
func writeBareReply(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = bareContentType
	h["Content-Length"] = bareContentLength
	w.Write(bareReply)
}

// serveHTTP serves h on a fresh 127.0.0.1 port; the RefServer's Stop
// closes the server and its connections, then runs after (if not nil).
func serveHTTP(h http.Handler, after func()) (*RefServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	addr := ln.Addr().String()
	return &RefServer{Addr: addr, URL: "http://" + addr, stop: func() {
		srv.Close()
		<-done
		if after != nil {
			after()
		}
	}}, nil
}

var readBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// BareTCP starts a TCP server that, on each connection, reads until EOF or
// the first newline (at most 64 KiB), writes BareReply and closes: the
// ceiling for one-request-per-connection protocols.
func BareTCP() (*RefServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]struct{}{}
		closed bool
		wg     sync.WaitGroup
	)
	serve := func(c net.Conn) {
		defer wg.Done()
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		bp := readBufs.Get().(*[]byte)
		defer readBufs.Put(bp)
		buf := *bp
		for total := 0; total < 64<<10; {
			n, err := c.Read(buf)
			total += n
			if err != nil || bytes.IndexByte(buf[:n], '\n') >= 0 {
				break
			}
		}
		io.WriteString(c, BareReply)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				return // listener closed
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				continue
			}
			conns[c] = struct{}{}
			wg.Add(1)
			mu.Unlock()
			go serve(c)
		}
	}()
	return &RefServer{Addr: ln.Addr().String(), stop: func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}}, nil
}
