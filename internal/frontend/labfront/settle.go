package labfront

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Giving memory back after a burst. A reconnection storm or a command on
// a whole lab makes every agent connection busy at once: handshakes, then
// a goroutine per agent deep in the core's calls (SQLite), tens of KiB of
// stack and garbage each. When the burst is over the Go runtime keeps
// what it freed: it lets the heap grow to twice what is live before
// collecting (GOGC) and returns freed pages to the system slowly, so the
// process stays at up to twice its live memory while the agents sit idle
// for hours (bench/labbench: 23 KiB per idle agent of resident memory
// after the connection storm, 15 of them live; after three probe rounds
// 57 KiB at 3,000 agents). Once the agents have been quiet for a while
// after a burst, the front end returns it all once (debug.FreeOSMemory: a
// garbage collection, then every free page back to the system). SQLite's
// page caches (internal/store) live outside the Go heap and keep what they
// read and wrote in the burst (the action rows), up to their size.
//
// It is scoped to bursts of this listener: at most once per burst of
// settleBurst agent events (handshakes, messages, ends), after settleQuiet
// without any, so a lab of a few dozen agents never triggers it and a
// busy listener does not either until it rests. What it costs is one
// collection per burst (the burst itself caused several) and page faults
// when the process grows again; nothing changes the collector's settings,
// which the whole process (the id module's registrations) shares.
const (
	settleBurst = 1000
	settleQuiet = 2 * time.Second
)

// noteActivity counts one agent event for settle.
func (f *FrontEnd) noteActivity() { f.activity.Add(1) }

// settleLoop checks the activity count every settleQuiet until stop is
// closed, and returns memory once a burst has been followed by a quiet
// tick.
func (f *FrontEnd) settleLoop(stop <-chan struct{}) {
	t := time.NewTicker(settleQuiet)
	defer t.Stop()
	var s settler
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if s.tick(f.activity.Load()) {
			// Two collections: the first moves the pooled message readers
			// (one per agent that spoke in the burst) to the pool's victim
			// cache, the second frees them; then every free page goes back.
			runtime.GC()
			debug.FreeOSMemory()
		}
	}
}

// settler decides, tick by tick, when a burst is over.
type settler struct {
	seen     uint64 // the count at the last tick
	released uint64 // the count when memory was last returned
}

// tick takes the activity count at a tick and reports whether to return
// memory now: nothing happened since the last tick, and at least
// settleBurst events since the last return.
func (s *settler) tick(count uint64) bool {
	quiet := count == s.seen
	s.seen = count
	if quiet && count-s.released >= settleBurst {
		s.released = count
		return true
	}
	return false
}
