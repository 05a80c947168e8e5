package loadgen

import (
	"sync"
	"time"
)

// Storm opens Conns one-shot connections spread evenly over Window (for
// example 10,000 in 1s), each doing the same exchange as TCPLoad, and reports
// how many were answered and how fast. Connections overlap freely, so a slow
// server sees up to Conns open at once; Go raises the open-file soft limit
// at start, and RaiseFileLimit does it explicitly.
//
// In the Result, Calls is the number answered and passing Check, Errors the
// rest, Elapsed runs from the first dial to the last reply, and latencies
// run from dial to EOF.
type Storm struct {
	Addr   string        // "127.0.0.1:port"; only loopback addresses are accepted
	Conns  int           // connections to open; default 1000
	Window time.Duration // time over which they are opened; default 1s

	Request     []byte                   // bytes to send on each connection
	RequestFunc func(i int) []byte       // if set, the request for connection i; called concurrently
	CloseWrite  bool                     // half-close after writing
	Check       func(reply []byte) error // nil: any non-empty reply passes

	Timeout time.Duration // limit for each connection from its dial; default 10s
}

// Run opens the connections and waits for all of them. The error is only
// for a bad configuration.
func (s Storm) Run() (Result, error) {
	if err := checkLoopback(s.Addr); err != nil {
		return Result{}, err
	}
	if err := checkRequest(s.Request, s.RequestFunc); err != nil {
		return Result{}, err
	}
	if s.Conns <= 0 {
		s.Conns = 1000
	}
	if s.Window <= 0 {
		s.Window = time.Second
	}
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	var (
		mu   sync.Mutex
		t    tally
		last time.Time
		wg   sync.WaitGroup
		bufs = sync.Pool{New: func() any { return &exchange{buf: make([]byte, 4<<10)} }}
	)
	one := func(i int) {
		defer wg.Done()
		ex := bufs.Get().(*exchange)
		ex.closeWrite, ex.check = s.CloseWrite, s.Check
		req := s.Request
		if s.RequestFunc != nil {
			req = s.RequestFunc(i)
		}
		start := time.Now()
		err := ex.do(s.Addr, req, start.Add(s.Timeout))
		end := time.Now()
		bufs.Put(ex)
		mu.Lock()
		if err != nil {
			t.fail(err)
		} else {
			t.ok(end.Sub(start))
		}
		if end.After(last) {
			last = end
		}
		mu.Unlock()
	}
	begin := time.Now()
	for opened := 0; opened < s.Conns; {
		// Open every connection that is due by now, then sleep until the
		// next one is: batches stay small even if sleeps overshoot.
		elapsed := time.Since(begin)
		due := min(s.Conns, int(int64(elapsed)*int64(s.Conns)/int64(s.Window))+1)
		for ; opened < due; opened++ {
			wg.Add(1)
			go one(opened)
		}
		if opened < s.Conns {
			next := time.Duration(int64(opened) * int64(s.Window) / int64(s.Conns))
			time.Sleep(next - elapsed)
		}
	}
	wg.Wait()
	return summarize([]*tally{&t}, last.Sub(begin)), nil
}
