package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"aula/modules/backup/authkeys"
	"aula/modules/id/idapi"
)

// keySync keeps authorized_keys equal to the id module's records. The
// records are the source of truth: every rewrite reads all current
// registrations, so a missed or reordered event is repaired by the next
// one (and by the periodic check), and no second table of keys can drift.
type keySync struct {
	m      *Module
	kickc  chan struct{} // capacity 1: pending "rewrite again"
	mu     sync.Mutex    // one rewrite at a time
	writes atomic.Int64  // files actually replaced, for tests and logs

	failures  atomic.Int64 // rewrites that failed, for the metrics
	admitKick atomic.Int64 // unix nanoseconds of the last rewrite an admission asked for
	state     keyState     // guarded by stateMu
	stateMu   sync.Mutex
	// installed maps uid → key blob of every line the file held after the
	// last rewrite that succeeded (nil before any): admission is refused
	// to a client whose key is not in it. Guarded by stateMu.
	installed map[string]string
	// attempt is closed when the rewrite running (or next) has finished,
	// then replaced: admission waits on it for a pending key.
	attempt chan struct{}
}

// keyState is the outcome of the last rewrite, kept in the store as well
// (KV backup/authorized_keys) so that `aula backup status` in another
// process shows the server's.
type keyState struct {
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Since    time.Time `json:"since"` // of the current outcome
	LastOK   time.Time `json:"last_ok"`
	Entries  int       `json:"entries"` // keys installed by the last rewrite that succeeded
	Failures int64     `json:"failures"`
}

// record keeps the outcome of a rewrite: the installed keys when it
// succeeded, the error when not. A change of outcome is saved in the
// store and logged once, not at every retry.
func (k *keySync) record(ctx context.Context, entries []authkeys.Entry, skipped []authkeys.Skipped, err error) {
	now := time.Now()
	k.stateMu.Lock()
	prev := k.state
	st := prev
	if err == nil {
		left := make(map[string]bool, len(skipped))
		for _, s := range skipped {
			left[s.UID] = true
		}
		inst := make(map[string]string, len(entries))
		for _, e := range entries {
			if !left[e.UID] {
				inst[e.UID] = e.Blob
			}
		}
		k.installed = inst
		st.OK, st.Error, st.LastOK, st.Entries = true, "", now, len(inst)
	} else {
		k.failures.Add(1)
		st.OK, st.Error = false, err.Error()
		st.Failures = k.failures.Load()
	}
	changed := st.OK != prev.OK || st.Error != prev.Error || prev.Since.IsZero()
	if changed {
		st.Since = now
	}
	k.state = st
	if k.attempt != nil {
		close(k.attempt)
		k.attempt = nil
	}
	k.stateMu.Unlock()
	if !changed {
		return
	}
	k.m.mu.RLock()
	store, log := k.m.store, k.m.log
	k.m.mu.RUnlock()
	if store != nil {
		if perr := store.saveKeyState(context.WithoutCancel(ctx), st); perr != nil {
			log.Warn("backup: the authorized_keys state is not saved for `aula backup status`", "err", perr)
		}
	}
	if err != nil {
		log.Error("authorized_keys not updated: new clients cannot back up until it is", "err", err)
	} else if !prev.OK && !prev.Since.IsZero() {
		log.Info("authorized_keys updated again", "keys", st.Entries)
	}
}

// current returns the last outcome and whether uid's key blob is
// installed (known is false before any rewrite succeeded).
func (k *keySync) current(uid, blob string) (st keyState, installed, known bool) {
	k.stateMu.Lock()
	defer k.stateMu.Unlock()
	if k.installed == nil {
		return k.state, false, false
	}
	return k.state, k.installed[uid] == blob, true
}

// next returns a channel closed when the next rewrite attempt ends.
func (k *keySync) next() <-chan struct{} {
	k.stateMu.Lock()
	defer k.stateMu.Unlock()
	if k.attempt == nil {
		k.attempt = make(chan struct{})
	}
	return k.attempt
}

// kick asks the writer loop for a rewrite; kicks while one is pending
// coalesce into it.
func (k *keySync) kick() {
	select {
	case k.kickc <- struct{}{}:
	default:
	}
}

// rewrite renders the file from the records and replaces it when its
// content changes. serving says this is the server, which owns the
// directories; another process (an admin command, maybe root) only
// updates an existing file and hands it to the directory's owner.
func (k *keySync) rewrite(ctx context.Context, serving bool) (err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var entries []authkeys.Entry
	var skipped []authkeys.Skipped
	defer func() {
		if serving || err == nil {
			k.record(ctx, entries, skipped, err)
		}
	}()
	set, _, err := k.m.state()
	if err != nil {
		return err
	}
	k.m.mu.RLock()
	reg, setErr, log := k.m.reg, k.m.setErr, k.m.log
	k.m.mu.RUnlock()
	if setErr != nil {
		return setErr
	}
	dir := filepath.Dir(set.AuthorizedKeys)
	var owner *authkeys.Owner
	if !serving {
		st, err := os.Stat(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil // no server has set up backups here yet
		}
		if err != nil {
			return err
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
			owner = &authkeys.Owner{UID: int(sys.Uid), GID: int(sys.Gid)}
		}
	}
	clients, err := reg.Clients(ctx)
	if err != nil {
		return fmt.Errorf("read registrations: %w", err)
	}
	entries = make([]authkeys.Entry, 0, len(clients))
	for _, c := range clients {
		if c.PubKey != "" { // registered without a key: no backups
			entries = append(entries, authkeys.Entry{UID: c.UID, Blob: c.PubKey})
		}
	}
	existing, err := authkeys.Read(set.AuthorizedKeys)
	if err != nil {
		return err
	}
	// Rendered once and written as rendered (k.mu makes this the only
	// rewrite). An admin's edit landing between the read and the rename
	// is lost, as it was in authkeys.Write's own read, render and rename.
	want, skipped, err := authkeys.Render(existing, entries, set.GateCommand)
	if err != nil {
		return err
	}
	if existing != nil && bytes.Equal(existing, want) {
		return nil
	}
	if err = authkeys.WriteContent(set.AuthorizedKeys, want, owner); err != nil {
		return err
	}
	k.writes.Add(1)
	for _, s := range skipped {
		log.Warn("client key left out of authorized_keys", "uid", s.UID, "reason", s.Reason)
	}
	log.Debug("authorized_keys written", "path", set.AuthorizedKeys, "clients", len(entries)-len(skipped))
	return nil
}

// prepareDirs creates the backup root and the authorized_keys directory,
// private to the account the server runs as (the backup account).
func prepareDirs(set Settings) error {
	for _, d := range []string{set.Root, filepath.Dir(set.AuthorizedKeys)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}

// admissionKickEvery bounds the rewrites that admissions ask for: each
// reads and renders the whole file, and admission is public.
const admissionKickEvery = time.Second

// kickForAdmission asks for a rewrite unless an admission asked less than
// admissionKickEvery ago.
func (k *keySync) kickForAdmission() {
	now := time.Now().UnixNano()
	last := k.admitKick.Load()
	if now-last < int64(admissionKickEvery) || !k.admitKick.CompareAndSwap(last, now) {
		return
	}
	k.kick()
}

// keyWait is how long an admission waits for the key of a client that
// has just registered to be written into authorized_keys.
const keyWait = 5 * time.Second

// keyRetry is the Retry-After of an admission refused because the
// client's key is not installed.
const keyRetry = time.Minute

// keyInstalled tells whether c's key is in authorized_keys, so that sshd
// will let the backup in: a 200 for a client whose key is missing would
// send it to fail at the SSH login. In the server it asks for a rewrite
// and waits up to keyWait for a key not installed yet. Another process
// (an admin calling backup.admit on the data directory) reads the file
// once a server has written it; before that no laptop can have been
// sent to sshd by this installation, and the check is left to the server.
func (m *Module) keyInstalled(ctx context.Context, c idapi.Client) (ok bool, why string) {
	m.mu.RLock()
	keys, serving, set := m.keys, m.serving, m.set
	m.mu.RUnlock()
	if !serving {
		if _, err := os.Stat(set.AuthorizedKeys); errors.Is(err, os.ErrNotExist) {
			return true, ""
		}
		entries, err := authkeys.Managed(set.AuthorizedKeys)
		if err != nil {
			return false, fmt.Sprintf("cannot read authorized_keys: %v", err)
		}
		for _, e := range entries {
			if e.UID == c.UID && e.Blob == c.PubKey {
				return true, ""
			}
		}
		return false, "the client's key is not in authorized_keys yet"
	}
	deadline := time.Now().Add(keyWait)
	for {
		done := keys.next() // before looking, so a rewrite ending in between is not missed
		st, installed, _ := keys.current(c.UID, c.PubKey)
		if installed {
			return true, ""
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			if !st.OK && st.Error != "" {
				// A laptop reads this: the cause, with its paths, is in
				// `aula backup status` and the log.
				return false, "the server's authorized_keys cannot be updated: ask the administrator"
			}
			return false, "the client's key is not in authorized_keys yet"
		}
		keys.kickForAdmission()
		t := time.NewTimer(left)
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}
