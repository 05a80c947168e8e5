package id

import (
	"strings"
	"testing"
	"time"
)

func statusStamp(t *testing.T, h *harness) string {
	t.Helper()
	code, s := h.get("/client/status?uuid=" + machineUUID)
	if code != 200 {
		t.Fatalf("status: HTTP %d %v", code, s)
	}
	return str(s["stamp"])
}

func TestStampChangesOnReregisterAll(t *testing.T) {
	h := newHarness(t, dataDir(t))
	before := statusStamp(t, h)
	reg := h.register("SHF706002A7", "n", machineUUID, newKey(t))
	if reg["stamp"] != before {
		t.Errorf("register stamp %v, status stamp %s", reg["stamp"], before)
	}
	out, err := h.runCommand("client reregister-all")
	if err != nil {
		t.Fatal(err)
	}
	after := statusStamp(t, h)
	if after == before || !strings.HasPrefix(after, "2-") || !strings.Contains(out, "started registration epoch 2:") {
		t.Errorf("stamp %s -> %s, command said %q", before, after, out)
	}
	if s, _ := h.mod.Stamp(t.Context()); s != after {
		t.Errorf("Stamp() = %s, status %s", s, after)
	}
}

func TestStampFollowsSettings(t *testing.T) {
	dir := dataDir(t)
	stampWith := func(args ...string) string {
		h := newHarness(t, dir, args...)
		defer h.close()
		return statusStamp(t, h)
	}
	base := stampWith()
	if again := stampWith(); again != base {
		t.Errorf("same settings, stamp %s then %s", base, again)
	}
	seen := map[string]string{base: "defaults"}
	for _, args := range [][]string{
		{"--id-jabber-server=chat.school.lan"},
		{"--id-backup-user=journal"},
		{"--id-backup-host=store.school.lan"},
		{"--id-api-url=https://xs.school.lan/api"},
		{"--id-server-name=other.school.lan"},
		{"--id-config", "stats-url=http://x/"},
		{"--id-config", "stats-url=http://y/"},
	} {
		s := stampWith(args...)
		if prev, dup := seen[s]; dup {
			t.Errorf("%v gives the stamp of %s: %s", args, prev, s)
		}
		seen[s] = strings.Join(args, " ")
	}
	if back := stampWith(); back != base {
		t.Errorf("back to the defaults: stamp %s, was %s", back, base)
	}
}

func TestReservedConfigKeysRefused(t *testing.T) {
	_, err := boot(dataDir(t), "--id-config", "uid=x")
	if err == nil || !strings.Contains(err.Error(), `"uid" is set by aula`) {
		t.Errorf("err = %v", err)
	}
	_, err = boot(dataDir(t), "--id-backup-user=Bad User")
	if err == nil || !strings.Contains(err.Error(), "want a user name") {
		t.Errorf("err = %v", err)
	}
}

// `aula client reregister-all` run on the data directory is another
// process: the server sees the new epoch once its cached one expires.
func TestStampFollowsAnotherProcess(t *testing.T) {
	dir := dataDir(t)
	server := newHarness(t, dir)
	before := statusStamp(t, server)
	cli := newHarness(t, dir)
	if _, err := cli.runCommand("client reregister-all"); err != nil {
		t.Fatal(err)
	}
	defer func(ttl time.Duration) { epochTTL = ttl }(epochTTL)
	epochTTL = 0 // expire the server's cached epoch now
	if after := statusStamp(t, server); after == before || !strings.HasPrefix(after, "2-") {
		t.Errorf("stamp %s -> %s", before, after)
	}
}
