package loadgen

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// HTTPLoad drives HTTP/1.1 keep-alive traffic: Conns connections, each a
// goroutine that writes one request, reads its response, and repeats.
//
// It runs Warmup (not measured), then either Duration (duration mode) or
// until Requests measured calls are done (count mode, with Duration as the
// time cap). A call fails on an I/O or parse error, a status other than
// Status, or a CheckBody error; a failed or server-closed connection is
// redialled.
type HTTPLoad struct {
	Addr  string // "127.0.0.1:port"; only loopback addresses are accepted
	Conns int    // concurrent connections; default 8

	Request     []byte             // the whole request, e.g. from HTTPRequest
	RequestFunc func(i int) []byte // if set, the request for call i (0, 1, ...); called concurrently

	Status    int                     // wanted status; default 200
	CheckBody func(body []byte) error // optional; body is valid only during the call

	Duration time.Duration // measured window (default 1s), or the time cap in count mode (default 30s)
	Warmup   time.Duration // unmeasured lead-in; default 200ms, negative for none
	Requests int           // if > 0, count mode: stop after this many measured calls
	Timeout  time.Duration // how long past the window a call may take; default 5s
}

// Run drives the load and returns what it measured. The error is only for
// a bad configuration; failed calls are counted in Result.Errors.
func (l HTTPLoad) Run() (Result, error) {
	if err := checkLoopback(l.Addr); err != nil {
		return Result{}, err
	}
	if err := checkRequest(l.Request, l.RequestFunc); err != nil {
		return Result{}, err
	}
	if l.Conns <= 0 {
		l.Conns = 8
	}
	if l.Status == 0 {
		l.Status = 200
	}
	p := newPlan(l.Duration, l.Warmup, l.Timeout, l.Requests)
	tallies := make([]*tally, l.Conns)
	lastEnds := make([]time.Time, l.Conns)
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
	var last time.Time
	for _, t := range lastEnds {
		if t.After(last) {
			last = t
		}
	}
	return summarize(tallies, p.elapsed(last)), nil
}

// worker runs calls on one connection until the plan says stop, returning
// when its last measured call finished.
func (l HTTPLoad) worker(p *plan, t *tally) (lastEnd time.Time) {
	var conn net.Conn
	rr := newRespReader(nil)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	dialer := net.Dialer{Deadline: p.hardEnd}
	for {
		start := time.Now()
		run, measured := p.begin(start)
		if !run {
			return lastEnd
		}
		if conn == nil {
			c, err := dialer.Dial("tcp", l.Addr)
			if err != nil {
				if measured {
					t.fail(err)
				}
				// A refused dial returns at once; don't spin on a dead server.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			c.SetDeadline(p.hardEnd)
			conn = c
			rr.reset(c)
			start = time.Now()
		}
		keep, err := l.call(conn, rr, p)
		end := time.Now()
		if !keep {
			conn.Close()
			conn = nil
		}
		if !measured {
			continue
		}
		if err != nil {
			t.fail(err)
		} else if p.counts(end) {
			t.ok(end.Sub(start))
		}
		lastEnd = end
	}
}

// call does one exchange; keep says whether the connection is still good
// for another (a wrong status leaves it in step, a broken read does not).
func (l HTTPLoad) call(conn net.Conn, rr *respReader, p *plan) (keep bool, err error) {
	if _, err := conn.Write(p.request(l.Request, l.RequestFunc)); err != nil {
		return false, err
	}
	resp, err := rr.next()
	if err != nil {
		return false, err
	}
	keep = !resp.close
	if resp.status != l.Status {
		return keep, fmt.Errorf("status %d, want %d", resp.status, l.Status)
	}
	if l.CheckBody != nil {
		if err := l.CheckBody(resp.body); err != nil {
			return keep, fmt.Errorf("body check: %w", err)
		}
	}
	return keep, nil
}
