package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"aula/modules/backup/authkeys"
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
func (k *keySync) rewrite(ctx context.Context, serving bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
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
	entries := make([]authkeys.Entry, 0, len(clients))
	for _, c := range clients {
		if c.PubKey != "" { // registered without a key: no backups
			entries = append(entries, authkeys.Entry{UID: c.UID, Blob: c.PubKey})
		}
	}
	existing, err := readBounded(set.AuthorizedKeys, authkeys.MaxFileBytes)
	if err != nil {
		return err
	}
	want, _, err := authkeys.Render(existing, entries, set.GateCommand)
	if err != nil {
		return err
	}
	if existing != nil && bytes.Equal(existing, want) {
		return nil
	}
	skipped, err := authkeys.Write(set.AuthorizedKeys, entries, set.GateCommand, owner)
	if err != nil {
		return err
	}
	k.writes.Add(1)
	for _, s := range skipped {
		log.Warn("client key left out of authorized_keys", "uid", s.UID, "reason", s.Reason)
	}
	log.Debug("authorized_keys written", "path", set.AuthorizedKeys, "clients", len(entries)-len(skipped))
	return nil
}

// readBounded reads a file of at most limit bytes; a missing file is nil.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, err
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
