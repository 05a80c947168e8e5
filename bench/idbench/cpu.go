package main

import (
	"context"
	"syscall"
	"time"

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

// foldAfter runs a register load, then has the server apply the
// registration journal it filled (journal.go in modules/id), outside the
// timed load: the fold's cost is reported on its own line, and it must not
// land in the next load's round, whichever that is.
type foldAfter struct {
	srv       *aula
	load      loadgen.Runner
	rows      int64
	wall, cpu time.Duration
	// commits and writes by the store during the register loads.
	commits, writes uint64
}

func (f *foldAfter) Run() (loadgen.Result, error) {
	before := f.srv.db.Stats()
	r, err := f.load.Run()
	after := f.srv.db.Stats()
	f.commits += after.Commits - before.Commits
	f.writes += after.Writes - before.Writes
	if err != nil {
		return r, err
	}
	n, err := f.srv.count(context.Background(), "id_journal")
	if err != nil {
		return r, err
	}
	start, cpu := time.Now(), processCPU()
	if err := f.srv.settle(); err != nil {
		return r, err
	}
	f.wall += time.Since(start)
	f.cpu += processCPU() - cpu
	f.rows += n
	return r, nil
}
