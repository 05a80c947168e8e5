package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"aula/modules/backup/authkeys"
	"aula/modules/backup/snapshot"
	"aula/modules/backup/sysload"
)

// Settings are the effective backup settings. `aula serve` resolves them
// from its options and saves them in the store at start; the backup gate
// and admin commands, which sshd or an admin start with whatever flags
// they have, read them back, so every process follows the running server.
type Settings struct {
	Root           string          `json:"root"`
	AuthorizedKeys string          `json:"authorized_keys"`
	GateCommand    string          `json:"gate_command"`
	Rsync          string          `json:"rsync"`
	MaxConcurrent  int             `json:"max_concurrent"`
	MaxGrants      int             `json:"max_grants"`
	GrantWindow    time.Duration   `json:"grant_window"`
	SlotTTL        time.Duration   `json:"slot_ttl"`
	Limits         sysload.Limits  `json:"limits"` // zero fields: no limit
	Quota          int64           `json:"quota"`  // bytes of disk; 0: none
	Policy         snapshot.Policy `json:"policy"`
	SnapshotOn     string          `json:"snapshot_on"` // "every" or "completion"
	AllowRoot      bool            `json:"allow_root"`
}

// resolve computes Settings from the options; dataDir is absolute.
func (o *options) resolve(dataDir string) (Settings, error) {
	s := Settings{Rsync: "/usr/bin/rsync", MaxConcurrent: 5, MaxGrants: 10, GrantWindow: 5 * time.Minute,
		SlotTTL: 2 * time.Minute, Limits: sysload.DefaultLimits(), Policy: snapshot.DefaultPolicy(), SnapshotOn: "every"}
	if o != nil {
		load, err := parseLoad(o.maxLoad.Get())
		if err != nil {
			return s, fmt.Errorf("--backup-max-load: %v", err)
		}
		quota, err := ParseSize(o.quota.Get())
		if err != nil {
			return s, fmt.Errorf("--backup-quota: %v", err)
		}
		s = Settings{Root: o.root.Get(), AuthorizedKeys: o.authKeys.Get(), GateCommand: o.gateCmd.Get(),
			Rsync: o.rsync.Get(), MaxConcurrent: o.maxConcurrent.Get(), MaxGrants: o.maxGrants.Get(),
			GrantWindow: o.grantWindow.Get(), SlotTTL: o.slotTTL.Get(),
			Limits: sysload.Limits{MaxLoad1: load, MaxBlocks: float64(o.maxDisk.Get()) / 100, MaxInodes: float64(o.maxInodes.Get()) / 100},
			Quota:  quota,
			Policy: snapshot.Policy{KeepDaily: o.keepDaily.Get(), KeepWeekly: o.keepWeekly.Get(),
				KeepMonthly: o.keepMonthly.Get(), KeepWithin: o.keepWithin.Get()},
			SnapshotOn: o.snapshotOn.Get(), AllowRoot: o.allowRoot.Get()}
	}
	if s.Root == "" {
		s.Root = filepath.Join(dataDir, "backup", "clients")
	}
	if s.AuthorizedKeys == "" {
		s.AuthorizedKeys = filepath.Join(dataDir, "backup", "authorized_keys")
	}
	if s.GateCommand == "" {
		exe, err := os.Executable()
		if err != nil {
			return s, fmt.Errorf("backup gate command: cannot find this program: %v (set --backup-gate-command)", err)
		}
		// The gate must open this data directory whatever config sshd's
		// account would otherwise read; warn-level logs keep its stderr,
		// which the client's rsync shows, quiet.
		s.GateCommand = "/usr/bin/env AULA_DATA_DIR=" + dataDir + " AULA_LOG_LEVEL=warn " + exe
	}
	if err := authkeys.CheckGateCommand(s.GateCommand); err != nil {
		return s, fmt.Errorf("%v (set --backup-gate-command, e.g. to a wrapper script)", err)
	}
	return s, nil
}

// savedSettings reads what the server saved; ok is false when no server
// has started on this data directory yet.
func savedSettings(ctx context.Context, st recordStore) (Settings, bool, error) {
	s, ok, err := st.loadSettings(ctx)
	if err != nil || !ok {
		return Settings{}, false, err
	}
	if !filepath.IsAbs(s.Root) || s.MaxConcurrent < 1 || s.SlotTTL <= 0 {
		return Settings{}, false, fmt.Errorf("saved backup settings are incomplete")
	}
	return s, true, nil
}
