package id

import "testing"

func TestPendingHeldThrough(t *testing.T) {
	var p pending
	for _, seq := range []int64{3, 4, 5, 7, 8} {
		p.add(&journalEntry{seq: seq, c: Client{UID: string(rune('a' + seq))}})
	}
	for _, tc := range []struct{ from, want int64 }{
		{0, 0}, // 1 is not held
		{2, 5}, // 3, 4, 5 are; 6 is not
		{3, 5},
		{5, 5},
		{6, 8},
		{8, 8},
		{20, 20},
	} {
		if got := p.heldThrough(tc.from); got != tc.want {
			t.Errorf("heldThrough(%d) = %d, want %d", tc.from, got, tc.want)
		}
	}
}
