package main

import (
	"context"
	"syscall"
	"time"

	"aula/bench/aulaserver"
	"aula/bench/loadgen"
)

// cpuMeter wraps a load and adds up the CPU time this process (server and
// driver together) spent while it ran. On a shared machine, CPU per call
// is steadier than calls/s.
type cpuMeter struct {
	load  loadgen.Runner
	cpu   time.Duration
	calls int64
}

func (m *cpuMeter) Run() (loadgen.Result, error) {
	before := processCPU()
	r, err := m.load.Run()
	m.cpu += processCPU() - before
	m.calls += r.Calls + r.Errors
	return r, err
}

// perCall is the mean CPU time per call, warm-up calls included in the
// time but not the count, so it errs high.
func (m *cpuMeter) perCall() time.Duration {
	if m.calls == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.calls)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// withFold runs a register load with the id module's background fold
// running as in production (modules/id/journal.go: it applies the journal
// when registrations pause, or while they keep coming once 100,000 wait or
// the oldest is a minute old), then waits, checking whether the journal holds rows rather than reading
// the records through the module, until the background fold has applied
// everything the load appended, and then until the process is idle (the
// other modules' work on the applied batches: backup's authorized_keys,
// activation's UUIDs). Folding is work every registration costs, so the
// CPU the process spent after the load until then is
// added to the load's measured time, the measured calls' share of it (the
// fold also applies the warm-up's registrations): the row's calls/s is
// what the server sustains with the fold, and the next load does not pay
// for it.
type withFold struct {
	srv   *aulaserver.Server
	load  loadgen.Runner
	rows  int64         // registrations the loads appended, warm-ups included
	fold  time.Duration // CPU after the loads until the journal was empty and the process idle
	drain time.Duration // wall time of the same
	// calls and elapsed are the loads' own, the fold not charged: the
	// rate during a storm that ends before the fold's triggers (the fold
	// runs after it; modules/id/journal.go).
	calls   int64
	elapsed time.Duration
	// commits, writes and riders (audit rows committed with a write) by
	// the store during the register loads.
	commits, writes, waits, riders uint64
}

func (f *withFold) Run() (loadgen.Result, error) {
	before := f.srv.DB.Stats()
	r, err := f.load.Run()
	after := f.srv.DB.Stats()
	f.commits += after.Commits - before.Commits
	f.writes += after.Writes - before.Writes
	f.waits += after.Waits - before.Waits
	f.riders += after.Riders - before.Riders
	if err != nil {
		return r, err
	}
	f.calls += r.Calls
	f.elapsed += r.Elapsed
	start, cpu := time.Now(), processCPU()
	for {
		// JournalApplied, not Count: this polling is charged to the
		// fold, and COUNT(*) over tens of thousands of journal rows every
		// 5 ms cost about 4 µs per registration.
		applied, err := f.srv.JournalApplied(context.Background())
		if err != nil {
			return r, err
		}
		if applied {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return r, errFoldStuck
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.drain += time.Since(start)
	// What the applied batches set off is the fold's cost too: backup
	// rewrites authorized_keys once per batch, from every client, and the
	// last of those rewrites runs after the journal is empty. Left
	// running, it would be billed to the next load.
	if err := waitIdle(start); err != nil {
		return r, err
	}
	folded := processCPU() - cpu
	f.fold += folded
	// The fold applied the warm-up's registrations too, which the
	// measured calls do not count: charge the calls their share. Every
	// registration's journal row carries its audit row, so the riders
	// are the registrations the load appended.
	appended := int64(after.Riders - before.Riders)
	if appended < r.Calls {
		appended = r.Calls
	}
	f.rows += appended
	r.Elapsed += time.Duration(float64(folded) * float64(r.Calls) / float64(max(appended, 1)))
	return r, nil
}

// waitIdle returns once the process has used less than idleShare of one
// core in every idleWindow for idleQuiet in a row: whatever the loads set
// off has finished. idleQuiet is longer than the backup module's rest
// between two authorized_keys rewrites (keyRestMax, 2 s), so a rewrite
// waiting out its rest is not taken for the end. idleShare is a quarter:
// a rewrite or a fold keeps a core busy, while an idle server still has
// windows of 5–11 ms now and then (1% of a core over seconds), and with
// 5% those restarted the wait for up to half a minute.
func waitIdle(since time.Time) error {
	quiet := time.Duration(0)
	for quiet < idleQuiet {
		before := processCPU()
		time.Sleep(idleWindow)
		if processCPU()-before < time.Duration(idleShare*float64(idleWindow)) {
			quiet += idleWindow
		} else {
			quiet = 0
		}
		if time.Since(since) > 5*time.Minute {
			return errFoldStuck
		}
	}
	return nil
}

const (
	idleWindow = 100 * time.Millisecond
	idleQuiet  = 3 * time.Second
	idleShare  = 0.25
)

type foldStuck struct{}

func (foldStuck) Error() string {
	return "the background fold (or what its batches set off) was still running 5 minutes after the loads"
}

var errFoldStuck error = foldStuck{}
