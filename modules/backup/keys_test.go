package backup

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/modules/backup/authkeys"
)

// waitFor polls cond until it holds (the key writer is asynchronous); the
// deadline only bounds a broken test, it measures nothing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func managedUIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	es, err := authkeys.Managed(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range es {
		out[e.UID] = true
	}
	return out
}

func TestAuthorizedKeysFollowRegistrations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	keysPath := filepath.Join(dir, "backup", "authorized_keys")
	foreign := "ssh-ed25519 " + newKey(t) + " admin@laptop"
	mustWrite(t, keysPath, "# the admin's own key\n"+foreign+"\n")
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, true)
	set := h.settings()
	exe, _ := os.Executable()
	if want := "/usr/bin/env AULA_DATA_DIR=" + h.db.Dir() + " AULA_LOG_LEVEL=warn " + exe; set.GateCommand != want {
		t.Fatalf("gate command %q, want %q", set.GateCommand, want)
	}
	a, b := h.register(1), h.register(2)
	waitFor(t, "both clients in authorized_keys", func() bool { u := managedUIDs(t, keysPath); return u[a.UID] && u[b.UID] })
	data, _ := os.ReadFile(keysPath)
	text := string(data)
	wantLine := fmt.Sprintf(`command="%s backup-gate --uid %s",restrict ssh-ed25519 %s aula:%s`, set.GateCommand, a.UID, a.PubKey, a.UID)
	if !strings.Contains(text, wantLine+"\n") || !strings.HasPrefix(text, "# the admin's own key\n"+foreign+"\n") {
		t.Fatalf("authorized_keys:\n%s\nwant line\n%s", text, wantLine)
	}
	if st, _ := os.Stat(keysPath); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}

	// Removal by the admin drops the line.
	if err := h.call("id.remove", map[string]any{"id": a.UID}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a removed", func() bool { u := managedUIDs(t, keysPath); return !u[a.UID] && u[b.UID] })

	// A broken key in the records never breaks the file: it is left out.
	bad := strings.Repeat("b", 40)
	err := h.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO id_clients (uid, uuid, uuid_key, serial, nickname, pubkey, first_at, last_at, last_addr, registrations)
			VALUES (?, 'u', 'u', 'SHFBAD', 'x', 'AAAAB3NzaC1kc3MAAACBnotakey', '', '', '', 1)`, bad)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.register(3)
	waitFor(t, "c added", func() bool { return managedUIDs(t, keysPath)[c.UID] })
	if u := managedUIDs(t, keysPath); u[bad] || !u[b.UID] {
		t.Fatalf("after a broken key: %v", u)
	}
	if data, _ := os.ReadFile(keysPath); !strings.Contains(string(data), foreign) {
		t.Fatal("foreign line lost")
	}
}

// A registration storm: every client ends up in the file, with fewer
// rewrites than registrations; kicks while a rewrite runs coalesce.
func TestAuthorizedKeysStormCoalesces(t *testing.T) {
	const n = 150
	h := newHarness(t, "", true)
	keysPath := h.settings().AuthorizedKeys
	var wg sync.WaitGroup
	uids := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			uids[i] = h.register(i).UID
		}(i)
	}
	wg.Wait()
	waitFor(t, "all clients written", func() bool { return len(managedUIDs(t, keysPath)) == n })
	got := managedUIDs(t, keysPath)
	for _, u := range uids {
		if !got[u] {
			t.Fatalf("client %s missing", u)
		}
	}
	writes := h.mod.keys.writes.Load()
	t.Logf("%d registrations, %d rewrites", n, writes)
	if writes >= n {
		t.Errorf("%d rewrites for %d registrations: not coalesced", writes, n)
	}

	// While a rewrite is in flight (its lock held), any number of kicks
	// leave exactly one pending rewrite.
	k := &keySync{kickc: make(chan struct{}, 1)}
	k.mu.Lock()
	for i := 0; i < 100; i++ {
		k.kick()
	}
	k.mu.Unlock()
	if len(k.kickc) != 1 {
		t.Fatalf("%d pending rewrites, want 1", len(k.kickc))
	}
}

// The writer's rest after a rewrite (loop) grows with the rewrite but is
// bounded below keyWait, so an admission waiting for a new key does not
// give up while the writer rests. This checks the bounds only; that kicks
// coalesce is TestAuthorizedKeysStormCoalesces.
func TestKeyWriterRest(t *testing.T) {
	for _, c := range []struct{ took, want time.Duration }{
		{0, 0},
		{10 * time.Millisecond, 30 * time.Millisecond},
		{500 * time.Millisecond, 1500 * time.Millisecond},
		{time.Second, keyRestMax},
		{time.Hour, keyRestMax},
	} {
		if got := restAfter(c.took); got != c.want {
			t.Errorf("restAfter(%v) = %v, want %v", c.took, got, c.want)
		}
	}
	if keyRestMax >= keyWait {
		t.Fatalf("keyRestMax %v is not below keyWait %v", keyRestMax, keyWait)
	}
}

// `aula client rm` on the data directory (another process, not serving)
// updates the file itself, and a server start repairs what it missed.
func TestAuthorizedKeysFromOtherProcessAndAtStart(t *testing.T) {
	srv := newHarness(t, "", true)
	keysPath := srv.settings().AuthorizedKeys
	a, b := srv.register(1), srv.register(2)
	waitFor(t, "written", func() bool { return len(managedUIDs(t, keysPath)) == 2 })
	if err := srv.app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	admin := newHarness(t, srv.dir, false)
	if admin.settings().AuthorizedKeys != keysPath {
		t.Fatalf("admin process does not follow the server's saved settings: %+v", admin.settings())
	}
	if err := admin.call("id.remove", map[string]any{"id": a.Serial}, nil); err != nil {
		t.Fatal(err)
	}
	if u := managedUIDs(t, keysPath); u[a.UID] || !u[b.UID] {
		t.Fatalf("after rm in another process: %v", u)
	}

	// Lost file: the next server start writes it from the records.
	os.Remove(keysPath)
	newHarness(t, srv.dir, true)
	if u := managedUIDs(t, keysPath); len(u) != 1 || !u[b.UID] {
		t.Fatalf("after restart: %v", u)
	}
}

// A key file that cannot be rewritten shows: the laptop registered
// meanwhile is refused admission (never accepted without its key), Ready
// fails, the metrics say so; repaired, all recover without a restart.
func TestKeyFailureSurfaces(t *testing.T) {
	h := newHarness(t, "", true)
	a := h.register(1)
	if adm, err := h.admit(AdmitArgs{UUID: a.UID}); err != nil || !adm.Accepted {
		t.Fatalf("admission with the key installed: %+v %v", adm, err)
	}
	if err := h.mod.Ready(t.Context()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	path := h.settings().AuthorizedKeys
	if err := os.Rename(path, path+".saved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	b := h.register(2)
	adm, err := h.admit(AdmitArgs{UUID: b.UID})
	if err != nil || adm.Accepted || !strings.Contains(adm.Reason, "cannot be updated") || adm.RetryAfter == 0 {
		t.Fatalf("admission while its key cannot be installed: %+v %v", adm, err)
	}
	if err := h.mod.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "authorized_keys") || strings.Contains(err.Error(), path) {
		t.Fatalf("Ready while failing: %v (want the file named, not its path)", err)
	}
	var metrics strings.Builder
	h.app.WriteMetrics(&metrics)
	if !strings.Contains(metrics.String(), "aula_backup_authorized_keys_ok 0\n") ||
		strings.Contains(metrics.String(), "aula_backup_authorized_keys_failures_total 0\n") {
		t.Fatalf("metrics while failing:\n%s", metrics.String())
	}
	var st Status
	if err := h.call("backup.status", nil, &st); err != nil || st.Keys.Error == "" || st.Keys.Missing == 0 {
		t.Fatalf("status while failing: %+v %v", st.Keys, err)
	}
	os.Remove(path)
	if err := os.Rename(path+".saved", path); err != nil {
		t.Fatal(err)
	}
	if adm, err := h.admit(AdmitArgs{UUID: b.UID}); err != nil || !adm.Accepted {
		t.Fatalf("admission after the repair: %+v %v", adm, err)
	}
	if err := h.mod.Ready(t.Context()); err != nil {
		t.Fatalf("Ready after the repair: %v", err)
	}
	metrics.Reset()
	h.app.WriteMetrics(&metrics)
	if !strings.Contains(metrics.String(), "aula_backup_authorized_keys_ok 1\n") {
		t.Fatalf("metrics after the repair:\n%s", metrics.String())
	}
}
