package snapshot

// OverQuota measures clientDir (current and all snapshots, hard links
// counted once) against limit bytes of disk.
func OverQuota(clientDir string, limit int64) (Usage, bool, error) {
	u, err := UsageOf(clientDir)
	if err != nil {
		return u, false, err
	}
	return u, u.DiskBytes > limit, nil
}

// Trim removes the oldest snapshots until clientDir uses at most limit
// bytes of disk or only the newest snapshot is left (it is never removed;
// current is never touched). It returns the removed names, oldest first.
// Each step re-measures the tree, since what a removal frees depends on
// which inodes other snapshots still link. The caller holds Lock.
func Trim(clientDir string, limit int64) ([]string, error) {
	var removed []string
	for {
		_, over, err := OverQuota(clientDir, limit)
		if err != nil || !over {
			return removed, err
		}
		names, err := Names(clientDir)
		if err != nil || len(names) <= 1 {
			return removed, err
		}
		if err := Remove(clientDir, names[0]); err != nil {
			return removed, err
		}
		removed = append(removed, names[0])
	}
}
