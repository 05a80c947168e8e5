package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func namesEvery(start time.Time, step time.Duration, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, FormatName(start.Add(time.Duration(i)*step), 0))
	}
	return out
}

func TestSelectBuckets(t *testing.T) {
	start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC) // a Thursday
	names := namesEvery(start, 24*time.Hour, 100)        // daily, to 2026-04-10
	// Two snapshots on the newest day: only the later counts for "daily".
	names = append(names, FormatName(start.Add(99*24*time.Hour+time.Hour), 0))
	now := start.Add(100 * 24 * time.Hour)
	keep, remove := Select(names, Policy{KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 3}, now)
	if len(keep)+len(remove) != len(names) {
		t.Fatalf("lost names: %d+%d", len(keep), len(remove))
	}
	want := []string{
		"2026-02-28T0200Z", // month 2026-02 (months: Apr, Mar, Feb)
		"2026-03-22T0200Z", // ISO weeks: W15 (Apr 10), W14, W13, W12 (Sun Mar 22)
		"2026-03-29T0200Z",
		"2026-03-31T0200Z", // month 2026-03
		"2026-04-04T0200Z", // daily: Apr 4..10
		"2026-04-05T0200Z",
		"2026-04-06T0200Z",
		"2026-04-07T0200Z",
		"2026-04-08T0200Z",
		"2026-04-09T0200Z",
		"2026-04-10T0300Z",
	}
	if !slices.Equal(keep, want) {
		t.Fatalf("keep %v\nwant %v", keep, want)
	}
	if !slices.Contains(remove, "2026-04-10T0200Z") {
		t.Errorf("older same-day snapshot kept: %v", keep)
	}
}

func TestSelectNewestAlwaysKeptAndWithin(t *testing.T) {
	names := namesEvery(t0, time.Hour, 5)
	keep, remove := Select(append(names, "junk", ".tmp-x"), Policy{}, t0)
	if !slices.Equal(keep, names[4:]) || len(remove) != 4 {
		t.Fatalf("zero policy: keep %v remove %v", keep, remove)
	}
	now := t0.Add(4 * time.Hour)
	keep, _ = Select(names, Policy{KeepWithin: 150 * time.Minute}, now)
	if !slices.Equal(keep, names[2:]) {
		t.Fatalf("within: keep %v", keep)
	}
}

func TestPruneRemovesReadOnlyTrees(t *testing.T) {
	client := makeCurrent(t) // holds a 0555 directory
	var taken []string
	for i := 0; i < 4; i++ {
		tk, err := Take(client, t0.Add(time.Duration(i)*24*time.Hour))
		must(t, err)
		taken = append(taken, tk.Name)
	}
	removed, err := Prune(client, Policy{KeepDaily: 2}, t0.Add(4*24*time.Hour))
	must(t, err)
	if !slices.Equal(removed, taken[:2]) {
		t.Fatalf("removed %v", removed)
	}
	names, err := Names(client)
	must(t, err)
	if !slices.Equal(names, taken[2:]) {
		t.Fatalf("left %v", names)
	}
	entries, err := os.ReadDir(filepath.Join(client, SnapshotsDir))
	must(t, err)
	if len(entries) != 2 {
		t.Fatalf("snapshots dir holds %d entries", len(entries))
	}
	// current's files are intact (and their modes untouched).
	st, err := os.Stat(filepath.Join(client, CurrentDir, "ro", "c"))
	must(t, err)
	if st.Mode().Perm() != 0o444 {
		t.Fatalf("current file mode changed to %v", st.Mode())
	}
	if err := Remove(client, "../current"); err == nil {
		t.Fatal("Remove accepted a path")
	}
}

func TestTrim(t *testing.T) {
	client := t.TempDir()
	cur := filepath.Join(client, CurrentDir)
	var taken []string
	for i := 0; i < 4; i++ {
		// Each generation replaces the big file: every snapshot pins 64 KiB.
		// A new inode (remove first): rewriting in place would change the
		// older snapshots too.
		os.Remove(filepath.Join(cur, "big"))
		write(t, filepath.Join(cur, "big"), string(bytes.Repeat([]byte{byte('a' + i)}, 64<<10)), 0o600)
		tk, err := Take(client, t0.Add(time.Duration(i)*time.Hour))
		must(t, err)
		taken = append(taken, tk.Name)
	}
	write(t, filepath.Join(cur, "big.n"), "x", 0o600)
	must(t, os.Rename(filepath.Join(cur, "big.n"), filepath.Join(cur, "big")))
	u, over, err := OverQuota(client, 1<<30)
	must(t, err)
	if over || u.Bytes < 4*64<<10 {
		t.Fatalf("usage %+v over=%v", u, over)
	}
	// Room for about two pinned generations: the two oldest go.
	removed, err := Trim(client, u.DiskBytes-2*64<<10+1)
	must(t, err)
	if !slices.Equal(removed, taken[:2]) {
		t.Fatalf("trim removed %v", removed)
	}
	// An impossible limit still leaves the newest snapshot.
	removed, err = Trim(client, 1)
	must(t, err)
	names, _ := Names(client)
	if !slices.Equal(removed, taken[2:3]) || !slices.Equal(names, taken[3:]) {
		t.Fatalf("removed %v left %v", removed, names)
	}
	if _, err := os.Stat(filepath.Join(cur, "big")); errors.Is(err, os.ErrNotExist) {
		t.Fatal("Trim touched current")
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"2026-11-22T0040Z", "2026-11-22T0040Z-01", "2026-02-30T0000Z", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := ParseName(s)
		if !ok {
			return
		}
		// A valid name is canonical: formatting its time gives it back
		// (ignoring the collision suffix).
		if got := FormatName(tm, 0); got != s[:len(got)] {
			t.Fatalf("ParseName(%q) -> %v -> %q", s, tm, got)
		}
	})
}
