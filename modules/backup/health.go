package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"aula/modules/backup/authkeys"
)

// KeyStatus is authorized_keys against the registrations: what `aula
// backup status` shows, so that a key file that stopped following the
// registrations is seen.
type KeyStatus struct {
	Path      string `json:"path"`
	Installed int    `json:"installed"` // aula's lines in the file
	// Missing counts registered clients with a key and no line in the
	// file: they cannot log in to back up.
	Missing int `json:"missing"`
	// Error is why the server's last rewrite failed ("" when it
	// succeeded), since ErrorSince.
	Error      string    `json:"error,omitempty"`
	ErrorSince time.Time `json:"error_since,omitzero"`
	LastOK     time.Time `json:"last_ok,omitzero"`
}

// keyStatus compares the file with the registrations and adds the
// server's last outcome (this process's when it serves, else the one the
// server saved in the store).
func (m *Module) keyStatus(ctx context.Context) KeyStatus {
	m.mu.RLock()
	set, keys, serving, store, reg := m.set, m.keys, m.serving, m.store, m.reg
	m.mu.RUnlock()
	ks := KeyStatus{Path: set.AuthorizedKeys}
	var st keyState
	if serving {
		st, _, _ = keys.current("", "")
	} else if saved, ok, err := store.loadKeyState(ctx); err == nil && ok {
		st = saved
	}
	if !st.OK && st.Error != "" {
		ks.Error, ks.ErrorSince = st.Error, st.Since
	}
	ks.LastOK = st.LastOK
	entries, err := authkeys.Managed(set.AuthorizedKeys)
	if err != nil && ks.Error == "" {
		ks.Error = err.Error()
	}
	in := make(map[string]string, len(entries))
	for _, e := range entries {
		in[e.UID] = e.Blob
	}
	ks.Installed = len(entries)
	if clients, err := reg.Clients(ctx); err == nil {
		for _, c := range clients {
			if c.PubKey != "" && in[c.UID] != c.PubKey {
				ks.Missing++
			}
		}
	}
	return ks
}

// Ready reports a server whose authorized_keys cannot be updated: new
// laptops would be told to back up and then refused by sshd.
func (m *Module) Ready(context.Context) error {
	m.mu.RLock()
	keys, serving, setErr := m.keys, m.serving, m.setErr
	m.mu.RUnlock()
	if !serving {
		return nil
	}
	if setErr != nil {
		return errors.New("backups disabled by their settings (see the log)")
	}
	st, _, known := keys.current("", "")
	switch {
	case !st.OK && st.Error != "":
		// Public: no paths or causes here; `aula backup status` and the
		// log have them.
		return fmt.Errorf("authorized_keys cannot be updated since %s (see `aula backup status`)", st.Since.UTC().Format(time.RFC3339))
	case !known:
		return errors.New("authorized_keys not written yet")
	}
	return nil
}

// WriteMetrics adds the key file's health to GET /metrics.
func (m *Module) WriteMetrics(w io.Writer) {
	m.mu.RLock()
	keys := m.keys
	m.mu.RUnlock()
	if keys == nil {
		return
	}
	st, _, _ := keys.current("", "")
	ok := 0
	if st.OK {
		ok = 1
	}
	fmt.Fprintln(w, "# HELP aula_backup_authorized_keys_ok 1 when the last rewrite of authorized_keys succeeded.")
	fmt.Fprintln(w, "# TYPE aula_backup_authorized_keys_ok gauge")
	fmt.Fprintf(w, "aula_backup_authorized_keys_ok %d\n", ok)
	fmt.Fprintln(w, "# HELP aula_backup_authorized_keys_entries Client keys installed by the last rewrite that succeeded.")
	fmt.Fprintln(w, "# TYPE aula_backup_authorized_keys_entries gauge")
	fmt.Fprintf(w, "aula_backup_authorized_keys_entries %d\n", st.Entries)
	fmt.Fprintln(w, "# HELP aula_backup_authorized_keys_failures_total Rewrites of authorized_keys that failed.")
	fmt.Fprintln(w, "# TYPE aula_backup_authorized_keys_failures_total counter")
	fmt.Fprintf(w, "aula_backup_authorized_keys_failures_total %d\n", keys.failures.Load())
}
