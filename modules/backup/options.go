package backup

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"aula/internal/config"
	"aula/modules/backup/authkeys"
	"aula/modules/backup/snapshot"
)

// options are the declared [backup] options (nil until Configure).
type options struct {
	root, authKeys, gateCmd, rsync *config.Opt[string]
	maxConcurrent, maxGrants       *config.Opt[int]
	grantWindow, slotTTL           *config.Opt[time.Duration]
	maxLoad                        *config.Opt[string]
	maxDisk, maxInodes             *config.Opt[int]
	quota                          *config.Opt[string]
	keepDaily, keepWeekly          *config.Opt[int]
	keepMonthly                    *config.Opt[int]
	keepWithin                     *config.Opt[time.Duration]
	snapshotOn                     *config.Opt[string]
	controlListen                  *config.Opt[string]
	allowRoot                      *config.Opt[bool]
}

// Configure declares the [backup] options.
func (m *Module) Configure(sec *config.Section) {
	def := snapshot.DefaultPolicy()
	m.opts = &options{
		root: sec.String("root", "",
			"directory holding one directory per client, <root>/<uid> (empty: DATA-DIR/backup/clients); must belong to the backup SSH account").Validate(absOrEmpty),
		authKeys: sec.String("authorized-keys", "",
			"authorized_keys file aula rewrites for the backup SSH account, one forced-command line per client (empty: DATA-DIR/backup/authorized_keys; point sshd's AuthorizedKeysFile at it)").Validate(absOrEmpty),
		gateCmd: sec.String("gate-command", "",
			"program (and leading words) the authorized_keys lines run as `<this> backup-gate --uid UID` (empty: /usr/bin/env AULA_DATA_DIR=DATA-DIR AULA_LOG_LEVEL=warn <this aula binary>)").Validate(func(s string) error {
			if s == "" {
				return nil
			}
			return authkeys.CheckGateCommand(s)
		}),
		rsync: sec.String("rsync", "/usr/bin/rsync", "the rsync the backup gate runs (absolute path)").Validate(absOrEmpty),
		maxConcurrent: sec.Int("max-concurrent", 5,
			"backups and restores running at once at most; more clients are told to retry later (503)").Validate(atLeast(1)),
		maxGrants: sec.Int("max-grants", 10,
			"backups started per --backup-grant-window at most (OLPC: 10 per 5 minutes; 0: no limit)").Validate(atLeast(0)),
		grantWindow: sec.Duration("grant-window", 5*time.Minute, "the window of --backup-max-grants").Validate(durationAtLeast(time.Second)),
		slotTTL: sec.Duration("slot-ttl", 2*time.Minute,
			"an admission slot expires this long after it was granted unless rsync starts; a running gate renews it").Validate(durationAtLeast(10 * time.Second)),
		maxLoad: sec.String("max-load", "5", "refuse backups (503) while the 1-minute load average is above this (0: never)").Validate(func(s string) error {
			_, err := parseLoad(s)
			return err
		}),
		maxDisk: sec.Int("max-disk", 90,
			"refuse backups (503) while the backup file system has more than this percentage of its blocks used (0 or 100: never)").Validate(percent),
		maxInodes: sec.Int("max-inodes", 90,
			"refuse backups (503) while the backup file system has more than this percentage of its inodes used (0 or 100: never)").Validate(percent),
		quota: sec.String("quota", "",
			"per-client disk quota with units (500M, 2GiB, 1.5GB; empty or 0: none): old snapshots are trimmed to fit, and a client still over it is refused").Validate(func(s string) error {
			_, err := ParseSize(s)
			return err
		}),
		keepDaily:   sec.Int("keep-daily", def.KeepDaily, "snapshots kept: the newest of each of the last N days that have one").Validate(atLeast(0)),
		keepWeekly:  sec.Int("keep-weekly", def.KeepWeekly, "snapshots kept: the newest of each of the last N ISO weeks that have one").Validate(atLeast(0)),
		keepMonthly: sec.Int("keep-monthly", def.KeepMonthly, "snapshots kept: the newest of each of the last N months that have one").Validate(atLeast(0)),
		keepWithin:  sec.Duration("keep-within", 0, "snapshots kept: every one younger than this"),
		snapshotOn: sec.String("snapshot", "every",
			"when to take a snapshot: every (after each successful backup transfer) or completion (only when an OLPC ds-backup client uploads its completion marker)").Choices("every", "completion"),
		controlListen: sec.String("control-listen", "",
			"extra listener for the backup control checks only (ds-backup asks http://HOST:80/backup/1/available/SN); bound before dropping privileges (empty: off)"),
		allowRoot: sec.Bool("allow-root", false,
			"let the backup gate run as root (it would then keep the clients' file owners, modes and devices); only for tests"),
	}
}

func absOrEmpty(s string) error {
	if s == "" || filepath.IsAbs(s) {
		return nil
	}
	return fmt.Errorf("want an absolute path")
}

func atLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("want at least %d", n)
		}
		return nil
	}
}

func durationAtLeast(d time.Duration) func(time.Duration) error {
	return func(v time.Duration) error {
		if v < d {
			return fmt.Errorf("want at least %v", d)
		}
		return nil
	}
}

func percent(v int) error {
	if v < 0 || v > 100 {
		return fmt.Errorf("want a percentage, 0 to 100")
	}
	return nil
}

func parseLoad(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1e6 {
		return 0, fmt.Errorf("want a load average such as 5 or 2.5 (0: no limit)")
	}
	return v, nil
}
