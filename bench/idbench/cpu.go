package main

import (
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
