package id

import (
	"slices"
	"testing"
)

// The indexes keep each key's entries in seq order whatever order they
// arrive in (a poll may bring older rows than this process's appends),
// and drop forgets exactly the entries it is told to.
func TestPendingIndexesOutOfOrder(t *testing.T) {
	var p pending
	ent := func(seq int64, uid, uuid, serial string) *journalEntry {
		return &journalEntry{seq: seq, c: Client{UID: uid, UUID: uuid, Serial: serial}}
	}
	// seq: uid, uuid, serial
	for _, e := range []*journalEntry{
		ent(5, "u1", "A-1", "S1"),
		ent(2, "u2", "a-1", "S2"), // same uuid key as 5, older
		ent(9, "u1", "b-2", "S2"),
		ent(1, "u3", PlaceholderUUID, PlaceholderSerial),
		ent(7, "u2", "c-3", "S1"),
		ent(3, "u1", "a-1", ""),
		ent(5, "dup", "dup", "dup"), // seq held: ignored
	} {
		p.add(e)
	}
	seqs := func(es []*journalEntry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.seq)
		}
		return out
	}
	if got := seqs(p.after(0)); !slices.Equal(got, []int64{1, 2, 3, 5, 7, 9}) {
		t.Fatalf("after(0) = %v", got)
	}
	if got := p.uidsWith(0, "a-1", ""); !slices.Equal(got, []string{"u2", "u1"}) {
		t.Errorf("uidsWith(uuid a-1) = %v, want [u2 u1] (seq order, each once)", got)
	}
	if got := p.uidsWith(0, "", "S1"); !slices.Equal(got, []string{"u1", "u2"}) {
		t.Errorf("uidsWith(serial S1) = %v, want [u1 u2]", got)
	}
	if got := p.uidsWith(0, PlaceholderUUID, ""); got != nil {
		t.Errorf("the placeholder uuid is indexed: %v", got)
	}
	// u1's own entries (3, 5, 9) and those bringing a-1, S1, b-2 or S2.
	if got := seqs(p.relevant(0, nil, []string{"u1"})); !slices.Equal(got, []int64{2, 3, 5, 7, 9}) {
		t.Errorf("relevant(u1) = %v", got)
	}
	if got := seqs(p.relevant(4, nil, []string{"u1"})); !slices.Equal(got, []int64{5, 7, 9}) {
		t.Errorf("relevant(u1) above 4 = %v", got)
	}
	p.drop(5)
	if got := seqs(p.after(0)); !slices.Equal(got, []int64{7, 9}) {
		t.Fatalf("after drop(5): %v", got)
	}
	if got := p.uidsWith(0, "a-1", ""); got != nil {
		t.Errorf("uidsWith(a-1) after drop = %v", got)
	}
	if got := p.uidsWith(0, "", "S1"); !slices.Equal(got, []string{"u2"}) {
		t.Errorf("uidsWith(S1) after drop = %v", got)
	}
	if len(p.byUUID) != 2 || len(p.bySerial) != 2 || len(p.byUID) != 2 {
		t.Errorf("index keys after drop: %d uuid, %d serial, %d uid; want 2, 2, 2", len(p.byUUID), len(p.bySerial), len(p.byUID))
	}
	p.drop(9)
	if p.len() != 0 || len(p.byUID)+len(p.byUUID)+len(p.bySerial) != 0 {
		t.Errorf("after drop(9): %d entries, indexes %v %v %v", p.len(), p.byUID, p.byUUID, p.bySerial)
	}
}
