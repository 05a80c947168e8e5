package id

import (
	"fmt"
	"testing"
)

// BenchmarkPendingAdd is the in-memory index's share of a registration:
// adding this process's own append, in seq order, to an index holding as
// many registrations as a few seconds of a registration storm leave
// unfolded (the fold then drops them).
func BenchmarkPendingAdd(b *testing.B) {
	const held = 20000
	entries := make([]*journalEntry, 0, held)
	for i := range held {
		entries = append(entries, &journalEntry{seq: int64(i + 1), c: Client{UID: fmt.Sprintf("%040x", i*7919),
			UUID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Serial: fmt.Sprintf("BEN%08X", i)}})
	}
	b.ReportAllocs()
	var p pending
	i := 0
	for b.Loop() {
		if i == held {
			b.StopTimer()
			p.drop(int64(held))
			p = pending{}
			i = 0
			b.StartTimer()
		}
		p.add(entries[i])
		i++
	}
}
