package id

import (
	"os"
	"path/filepath"
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
	if url := str(r["backupurl"]); url != "aula-backup@store.school.lan:"+str(cfg["uid"]) {
		t.Errorf("backupurl %q", url)
	}
}

func TestSettingsDefaults(t *testing.T) {
	s := (*options)(nil).resolve(t.Context())
	if s.serverName == "" || s.jabber != s.serverName || s.backupHost != s.serverName ||
		s.backupUser != "aula-backup" || s.apiURL != "http://"+s.serverName+":8000" || len(s.hash) != 16 {
		t.Errorf("defaults %+v", s)
	}
}
