package loadgen

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// Defaults for the drivers' zero fields.
const (
	DefaultDuration      = time.Second // measured window in duration mode
	DefaultWarmup        = 200 * time.Millisecond
	DefaultCountDeadline = 30 * time.Second // time cap of a run driven by a request count
	DefaultTimeout       = 5 * time.Second  // grace after the window for a call to finish
)

// plan is the shared timetable of a duration- or count-driven run. Workers
// read it without locks: a call counts when it started at or after
// measureStart and, in duration mode, finished by measureEnd.
type plan struct {
	measureStart time.Time
	measureEnd   time.Time // end of the window, or the time cap in count mode
	hardEnd      time.Time // connection deadline: nothing runs past this
	count        int64     // measured calls wanted; 0 means duration mode
	claimed      atomic.Int64
	seq          atomic.Int64 // request index for RequestFunc, warm-up included
}

func newPlan(duration, warmup, timeout time.Duration, count int) *plan {
	if warmup == 0 {
		warmup = DefaultWarmup
	}
	if warmup < 0 {
		warmup = 0
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if duration <= 0 {
		duration = DefaultDuration
		if count > 0 {
			duration = DefaultCountDeadline
		}
	}
	p := &plan{count: int64(count)}
	p.measureStart = time.Now().Add(warmup)
	p.measureEnd = p.measureStart.Add(duration)
	p.hardEnd = p.measureEnd.Add(timeout)
	return p
}

// begin decides whether a worker may start another call at now and whether
// that call is measured.
func (p *plan) begin(now time.Time) (run, measured bool) {
	if !now.Before(p.measureEnd) {
		return false, false
	}
	if now.Before(p.measureStart) {
		return true, false
	}
	if p.count > 0 && p.claimed.Add(1) > p.count {
		return false, false
	}
	return true, true
}

// counts reports whether a call finished at end is inside the window.
func (p *plan) counts(end time.Time) bool {
	return p.count > 0 || !end.After(p.measureEnd)
}

// elapsed is the measured window: the whole of it in duration mode, or up to
// the last measured call in count mode.
func (p *plan) elapsed(lastEnd time.Time) time.Duration {
	if p.count == 0 || lastEnd.IsZero() {
		return p.measureEnd.Sub(p.measureStart)
	}
	return lastEnd.Sub(p.measureStart)
}

func (p *plan) request(fixed []byte, fn func(int) []byte) []byte {
	if fn == nil {
		return fixed
	}
	return fn(int(p.seq.Add(1) - 1))
}

// checkLoopback refuses any target that is not on this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad target address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %q is not a loopback address; load goes to 127.0.0.1 only", addr)
	}
	return nil
}

func checkRequest(fixed []byte, fn func(int) []byte) error {
	if len(fixed) == 0 && fn == nil {
		return errors.New("no request: set Request or RequestFunc")
	}
	return nil
}
