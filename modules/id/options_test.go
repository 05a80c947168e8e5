package id

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// The sugar-server style config file: [client] is [id], and [id-config]
// adds sugar-client options to every register reply.
func TestConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aula.conf")
	conf := "[client]\njabber-server = chat.school.lan\nbackup-host = store.school.lan\n\n[id-config]\nstats-url = http://xs.school.lan/stats\nauto-restore = true\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dataDir(t), "--config", path)
	r := h.register("SHF706002A7", "nena", machineUUID, newKey(t))
	cfg, _ := r["config"].(map[string]any)
	if r["jabberserver"] != "chat.school.lan" || cfg["jabber-url"] != "chat.school.lan" ||
		cfg["stats-url"] != "http://xs.school.lan/stats" || cfg["auto-restore"] != "true" ||
		cfg["schoolserver"] != "xs.school.lan" || cfg["api-url"] != "http://xs.school.lan:8000" {
		t.Errorf("reply %v", r)
	}
	if url := str(r["backupurl"]); url != "SHF706002A7@store.school.lan:backup" || cfg["backup-url"] != url {
		t.Errorf("backupurl %q", url)
	}
}

func TestSettingsDefaults(t *testing.T) {
	s := (*options)(nil).resolve(t.Context())
	if s.serverName == "" || s.jabber != s.serverName || s.backupHost != s.serverName ||
		s.backupUser != defaultBackupUser(user.Lookup) || s.apiURL != "http://"+s.serverName+":8000" || len(s.hash) != 16 {
		t.Errorf("defaults %+v", s)
	}
}

// The backup account's default is aulabackup; an install from before the
// rename, whose system has only aula-backup, keeps that name.
func TestDefaultBackupUserMigration(t *testing.T) {
	has := func(names ...string) func(string) (*user.User, error) {
		return func(n string) (*user.User, error) {
			for _, h := range names {
				if h == n {
					return &user.User{Username: n}, nil
				}
			}
			return nil, errors.New("no such user")
		}
	}
	for _, tc := range []struct {
		have []string
		want string
	}{
		{nil, "aulabackup"},
		{[]string{"aulabackup"}, "aulabackup"},
		{[]string{"aula-backup"}, "aula-backup"},
		{[]string{"aula-backup", "aulabackup"}, "aulabackup"},
	} {
		if got := defaultBackupUser(has(tc.have...)); got != tc.want {
			t.Errorf("accounts %v: default %q, want %q", tc.have, got, tc.want)
		}
	}
	h := newHarness(t, dataDir(t), "--id-backup-user=aula-backup")
	r := h.register(PlaceholderSerial, "n", machineUUID, newKey(t))
	if url := str(r["backupurl"]); url != "aula-backup@xs.school.lan:"+str(r["backuppath"]) {
		t.Errorf("configured old name: backupurl %q", url)
	}
}

// A jabber server with a port would send every Sugar shell to
// http://host:port:8080/ to re-register: refused with the reason.
func TestJabberServerWithoutPort(t *testing.T) {
	for _, bad := range []string{"xs.school.lan:5222", "http://xs.school.lan/", "xs:8080"} {
		if err := checkJabber(bad); err == nil || !strings.Contains(err.Error(), "http://<jabber-server>:8080/") {
			t.Errorf("checkJabber(%q) = %v", bad, err)
		}
	}
	if err := checkJabber("jabber.school.lan"); err != nil {
		t.Error(err)
	}
	if err := checkJabber(""); err != nil {
		t.Error(err)
	}
}
