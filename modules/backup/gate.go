package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aula/modules/backup/gate"
	"aula/modules/backup/snapshot"
	"aula/modules/id/idapi"
)

// gateIO are the gate's streams: the SSH session's.
type gateIO struct {
	in       io.Reader
	out, err io.Writer
}

// runGate is the forced command: check the client and its command, hold an
// admission slot while rsync runs, snapshot after a successful backup. It
// returns rsync's exit status, or an error (a *gate.RefusedError when the
// client's request was turned down; its one line goes to the client).
// Every refusal and every transfer is recorded in backup_events.
func (m *Module) runGate(ctx context.Context, st gateIO, uid, original string) (int, error) {
	set, recs, err := m.state()
	if err != nil {
		return 1, err
	}
	m.mu.RLock()
	reg, log := m.reg, m.log
	m.mu.RUnlock()
	refuse := func(reason string) (int, error) {
		who := uid
		if !idapi.ValidUID(uid) {
			who = ""
		}
		if err := record(ctx, recs, who, "refused", reason); err != nil {
			log.Warn("backup audit", "err", err)
		}
		return 1, &gate.RefusedError{Reason: reason}
	}
	if !idapi.ValidUID(uid) {
		return refuse(fmt.Sprintf("bad client id %.60q", uid))
	}
	if c, found, err := reg.ClientByUID(ctx, uid); err != nil {
		return 1, fmt.Errorf("look up client: %w", err)
	} else if !found || c.PubKey == "" {
		return refuse("unknown client (not registered, or its registration was removed)")
	}
	plan, err := gate.Config{Root: set.Root, Rsync: set.Rsync, AllowRoot: set.AllowRoot}.Plan(uid, original)
	var re *gate.RefusedError
	if errors.As(err, &re) {
		return refuse(re.Reason)
	} else if err != nil {
		_ = record(ctx, recs, uid, "error", err.Error())
		return 1, err
	}
	mode := plan.Mode.String()
	if plan.Mode == gate.Backup && set.Quota > 0 {
		if cs, ok, err := recs.clientStats(ctx, uid); err == nil && ok && cs.DiskBytes > set.Quota {
			return refuse(fmt.Sprintf("over the backup quota (%s of %s used)", FormatSize(cs.DiskBytes), FormatSize(set.Quota)))
		}
	}
	if plan.Mode == gate.Restore {
		// Restores are not admitted ahead; they take a free slot below,
		// but not while the server is overloaded.
		if held, err := recs.holds(ctx, uid); err == nil && !held {
			if err := busy(set); err != nil {
				return refuse(err.Error())
			}
		}
	}
	pid := os.Getpid()
	ref, err := recs.acquire(ctx, uid, mode, pid, set)
	if err != nil {
		return 1, fmt.Errorf("admission slot: %w", err)
	}
	if ref != nil {
		return refuse(ref.reason)
	}
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		m.renewLoop(renewCtx, uid, mode, pid, set.SlotTTL)
	}()

	start := m.clock()
	var note string
	code, runErr := gate.Run(plan, gate.RunOptions{Stdin: st.in, Stdout: st.out, Stderr: st.err,
		AfterSuccess: func(p *gate.Plan) error { return m.afterTransfer(ctx, set, p, &note) }})
	stopRenew()
	<-renewed

	// A successful backup keeps the slot a little for the same run's
	// next rsync; a failure, a restore or the ds-backup marker (the run's
	// last step) frees it now. A killed gate's slot simply expires.
	linger := time.Duration(0)
	if plan.Mode == gate.Backup && code == 0 && runErr == nil && !plan.Completion {
		linger = min(lingerMax, set.SlotTTL)
	}
	bg := context.WithoutCancel(ctx)
	if err := recs.release(bg, uid, pid, linger); err != nil {
		log.Warn("admission slot not released (it expires)", "uid", uid, "err", err)
	}
	result := "ok"
	switch {
	case errors.As(runErr, &re):
		return refuse(re.Reason)
	case runErr != nil:
		result = "error: " + runErr.Error()
	case code != 0:
		result = fmt.Sprintf("rsync exit %d", code)
	}
	if err := recs.saveResult(bg, uid, mode, result, start); err != nil {
		log.Warn("backup result not recorded", "err", err)
	}
	detail := fmt.Sprintf("%s in %v: %s", result, m.clock().Sub(start).Round(time.Millisecond), strings.Join(relTargets(plan), " "))
	if note != "" {
		detail += "; " + note
	}
	kind := mode
	if runErr != nil {
		kind = "error"
	}
	if err := record(bg, recs, uid, kind, detail); err != nil {
		log.Warn("backup audit", "err", err)
	}
	if runErr != nil {
		return 1, runErr
	}
	return code, nil
}

// renewLoop keeps the running slot alive until ctx ends.
func (m *Module) renewLoop(ctx context.Context, uid, mode string, pid int, ttl time.Duration) {
	t := time.NewTicker(max(ttl/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.store.renew(ctx, uid, mode, pid, ttl); err != nil && ctx.Err() == nil {
				m.log.Warn("admission slot not renewed", "uid", uid, "err", err)
			}
		}
	}
}

// afterTransfer runs under the client's lock after rsync exited 0: after
// a backup it takes the snapshot (per --backup-snapshot), prunes by the
// retention policy, trims to the quota and measures the directory.
// Failing to snapshot fails the run (the client tries again); failing to
// prune or measure is only noted.
func (m *Module) afterTransfer(ctx context.Context, set Settings, p *gate.Plan, note *string) error {
	if p.Mode != gate.Backup {
		return nil
	}
	now := m.clock()
	var notes []string
	if p.Completion {
		// ds-postprocess deletes the marker once seen; so does aula.
		for _, t := range p.Targets {
			if err := os.Remove(strings.TrimSuffix(t, "/")); err != nil && !errors.Is(err, os.ErrNotExist) {
				notes = append(notes, "marker not removed: "+err.Error())
			}
		}
	}
	take := p.Completion == (set.SnapshotOn == "completion")
	if _, err := os.Lstat(filepath.Join(p.ClientDir, snapshot.CurrentDir)); err != nil {
		take = false // only a marker so far: nothing to keep
	}
	if take {
		t, err := snapshot.Take(p.ClientDir, now)
		if err != nil {
			*note = strings.Join(notes, "; ")
			return fmt.Errorf("backup stored, but the snapshot failed: %w", err)
		}
		notes = append(notes, "snapshot "+t.Name)
		if removed, err := snapshot.Prune(p.ClientDir, set.Policy, now); err != nil {
			notes = append(notes, "prune failed: "+err.Error())
		} else if len(removed) > 0 {
			notes = append(notes, fmt.Sprintf("pruned %d", len(removed)))
		}
		if set.Quota > 0 {
			if trimmed, err := snapshot.Trim(p.ClientDir, set.Quota); err != nil {
				notes = append(notes, "trim failed: "+err.Error())
			} else if len(trimmed) > 0 {
				notes = append(notes, fmt.Sprintf("trimmed %d for the quota", len(trimmed)))
			}
		}
	}
	if err := m.measure(ctx, p.UID, p.ClientDir, now); err != nil {
		notes = append(notes, "not measured: "+err.Error())
	}
	*note = strings.Join(notes, "; ")
	return nil
}

// measure records a client directory's size and snapshots.
func (m *Module) measure(ctx context.Context, uid, clientDir string, now time.Time) error {
	u, err := snapshot.UsageOf(clientDir)
	if err != nil {
		return err
	}
	names, err := snapshot.Names(clientDir)
	if err != nil {
		return err
	}
	latest := ""
	if len(names) > 0 {
		latest = names[len(names)-1]
	}
	_, recs, err := m.state()
	if err != nil {
		return err
	}
	return recs.saveUsage(context.WithoutCancel(ctx), uid, u, len(names), latest, now)
}

// relTargets shows the plan's paths relative to the client directory.
func relTargets(p *gate.Plan) []string {
	out := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		if r, err := filepath.Rel(p.ClientDir, t); err == nil {
			out[i] = r
		} else {
			out[i] = t
		}
	}
	return out
}
