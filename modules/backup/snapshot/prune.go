package snapshot

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Policy says which snapshots Prune keeps. A snapshot survives if any rule
// keeps it; the newest snapshot always survives.
//
// The Keep{Daily,Weekly,Monthly} rules count periods that have snapshots
// (as borg and restic do): KeepDaily 7 keeps the newest snapshot of each of
// the 7 most recent UTC days that have one. Weeks are ISO weeks.
type Policy struct {
	KeepWithin  time.Duration // keep everything newer than now-KeepWithin
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
}

// DefaultPolicy keeps a week of dailies, a month of weeklies and a year of
// monthlies.
func DefaultPolicy() Policy {
	return Policy{KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12}
}

// Select splits snapshot names into kept and removed (both oldest first).
// Names that are not snapshot names are in neither list.
func Select(names []string, p Policy, now time.Time) (keep, remove []string) {
	type snap struct {
		name string
		t    time.Time
	}
	var snaps []snap
	for _, n := range names {
		if t, ok := ParseName(n); ok {
			snaps = append(snaps, snap{n, t})
		}
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].name > snaps[j].name })
	kept := map[string]bool{snaps[0].name: true}
	bucket := func(limit int, key func(time.Time) string) {
		last := ""
		for _, s := range snaps {
			if limit <= 0 {
				return
			}
			if k := key(s.t); k != last {
				kept[s.name] = true
				last = k
				limit--
			}
		}
	}
	bucket(p.KeepDaily, func(t time.Time) string { return t.Format("2006-01-02") })
	bucket(p.KeepWeekly, func(t time.Time) string {
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	})
	bucket(p.KeepMonthly, func(t time.Time) string { return t.Format("2006-01") })
	if p.KeepWithin > 0 {
		cut := now.Add(-p.KeepWithin)
		for _, s := range snaps {
			// The name has minute resolution: compare its whole minute.
			if s.t.Add(time.Minute).After(cut) {
				kept[s.name] = true
			}
		}
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		if kept[snaps[i].name] {
			keep = append(keep, snaps[i].name)
		} else {
			remove = append(remove, snaps[i].name)
		}
	}
	return keep, remove
}

// Prune removes the snapshots p does not keep and returns their names,
// oldest first. The caller holds Lock.
func Prune(clientDir string, p Policy, now time.Time) ([]string, error) {
	names, err := Names(clientDir)
	if err != nil {
		return nil, err
	}
	_, remove := Select(names, p, now)
	var removed []string
	for _, name := range remove {
		if err := Remove(clientDir, name); err != nil {
			return removed, err
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// Remove deletes one snapshot: renamed to a temp name first, so a crash
// midway never leaves a partial snapshot under its real name.
func Remove(clientDir, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("not a snapshot name: %q", name)
	}
	snaps := filepath.Join(clientDir, SnapshotsDir)
	doomed := filepath.Join(snaps, tempPrefix+"del-"+name)
	if err := os.Rename(filepath.Join(snaps, name), doomed); err != nil {
		return fmt.Errorf("remove snapshot %s: %w", name, err)
	}
	if err := removeTree(doomed); err != nil {
		return fmt.Errorf("remove snapshot %s: %w", name, err)
	}
	return syncDir(snaps)
}

// removeTree is os.RemoveAll that first makes the tree's directories
// writable (snapshots copy read-only modes). Only directories are chmodded:
// files share their inode with current and the other snapshots.
func removeTree(root string) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			// WalkDir calls this before reading d, so an unreadable
			// directory becomes readable in time.
			return os.Chmod(p, 0o700)
		}
		if os.IsNotExist(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(root)
}
