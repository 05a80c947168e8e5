package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// TCPLoad drives a one-request-per-connection protocol: each of Workers
// goroutines repeatedly dials, writes the request, optionally half-closes
// its side, reads the reply to EOF, checks it and closes. Latency includes
// the dial. Timing fields work as in HTTPLoad.
type TCPLoad struct {
	Addr    string // "127.0.0.1:port"; only loopback addresses are accepted
	Workers int    // concurrent connections; default 8

	Request     []byte             // bytes to send on each connection
	RequestFunc func(i int) []byte // if set, the request for call i; called concurrently
	CloseWrite  bool               // half-close after writing, for servers that read to EOF

	// Check judges the whole reply (valid only during the call); when nil,
	// any non-empty reply passes.
	Check func(reply []byte) error

	Duration time.Duration // measured window (default 1s), or the time cap in count mode (default 30s)
	Warmup   time.Duration // unmeasured lead-in; default 200ms, negative for none
	Requests int           // if > 0, count mode: stop after this many measured calls
	Timeout  time.Duration // how long past the window a call may take; default 5s
}

// Run drives the load. The error is only for a bad configuration.
func (l TCPLoad) Run() (Result, error) {
	if err := checkLoopback(l.Addr); err != nil {
		return Result{}, err
	}
	if err := checkRequest(l.Request, l.RequestFunc); err != nil {
		return Result{}, err
	}
	if l.Workers <= 0 {
		l.Workers = 8
	}
	p := newPlan(l.Duration, l.Warmup, l.Timeout, l.Requests)
	tallies := make([]*tally, l.Workers)
	lastEnds := make([]time.Time, l.Workers)
	var wg sync.WaitGroup
	for w := range tallies {
		tallies[w] = new(tally)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lastEnds[w] = l.worker(p, tallies[w])
		}()
	}
	wg.Wait()
	return summarize(tallies, p.elapsed(latest(lastEnds))), nil
}

func (l TCPLoad) worker(p *plan, t *tally) (lastEnd time.Time) {
	ex := exchange{closeWrite: l.CloseWrite, check: l.Check, buf: make([]byte, 4<<10)}
	for {
		start := time.Now()
		run, measured := p.begin(start)
		if !run {
			return lastEnd
		}
		err := ex.do(l.Addr, p.request(l.Request, l.RequestFunc), p.hardEnd)
		end := time.Now()
		if !measured {
			continue
		}
		if err != nil {
			t.fail(err)
			if isDialError(err) {
				time.Sleep(10 * time.Millisecond) // don't spin on a dead server
			}
		} else if p.counts(end) {
			t.ok(end.Sub(start))
		}
		lastEnd = end
	}
}

func latest(times []time.Time) time.Time {
	var last time.Time
	for _, t := range times {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// exchange is one dial-write-read-close round with a reused reply buffer.
type exchange struct {
	closeWrite bool
	check      func([]byte) error
	buf        []byte
}

type dialError struct{ err error }

func (e dialError) Error() string { return "dial: " + e.err.Error() }
func (e dialError) Unwrap() error { return e.err }

func isDialError(err error) bool {
	var d dialError
	return errors.As(err, &d)
}

func (ex *exchange) do(addr string, req []byte, deadline time.Time) error {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return dialError{err}
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if _, err := conn.Write(req); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if ex.closeWrite {
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			return fmt.Errorf("half-close: %w", err)
		}
	}
	reply, err := ex.readToEOF(conn)
	if err != nil {
		return err
	}
	if ex.check != nil {
		if err := ex.check(reply); err != nil {
			return fmt.Errorf("reply check: %w", err)
		}
	} else if len(reply) == 0 {
		return errors.New("empty reply")
	}
	return nil
}

func (ex *exchange) readToEOF(r io.Reader) ([]byte, error) {
	n := 0
	for {
		if n == len(ex.buf) {
			if n >= maxBodyBytes {
				return nil, errTooLarge(maxBodyBytes)
			}
			grown := make([]byte, min(2*n, maxBodyBytes))
			copy(grown, ex.buf)
			ex.buf = grown
		}
		m, err := r.Read(ex.buf[n:])
		n += m
		if err == io.EOF {
			return ex.buf[:n], nil
		}
		if err != nil {
			return nil, fmt.Errorf("read after %d bytes: %w", n, err)
		}
	}
}
