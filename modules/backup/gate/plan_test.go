package gate

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testUID = "7455b79eb53864b13c93e8440de72190b4522b8e"

func testConfig(t *testing.T) (Config, string) {
	t.Helper()
	root := t.TempDir()
	return Config{Root: root, Rsync: "/usr/bin/rsync", AllowRoot: true}, filepath.Join(root, testUID)
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func wantRefused(t *testing.T, err error, want string) {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), want) || strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error %v; want a one-line refusal mentioning %q", err, want)
	}
}

func TestPlanDsBackupArgv(t *testing.T) {
	cfg, client := testConfig(t)
	p, err := cfg.Plan(testUID, "rsync --server -ltrze.iLsfxCIvu --timeout=160 --delete --partial . datastore-current")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/rsync", "--server", "-ltrze.iLsfxCIvu", "--timeout=160", "--delete", "--partial",
		"--msgs2stderr", ".", client + "/current/datastore-current"}
	if p.Mode != Backup || p.Dir != client || p.Completion || !slices.Equal(p.Argv, want) {
		t.Fatalf("plan %+v", p)
	}
	if !slices.Equal(p.Env, []string{"PATH=/usr/bin:/bin", "HOME=" + client}) {
		t.Fatalf("env %q", p.Env)
	}

	p, err = cfg.Plan(testUID, "rsync --server -ltrze.iLsfxCIvu --timeout=10 --temp-dir /tmp . /var/lib/ds-backup/completion/SHF706002A7")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"/usr/bin/rsync", "--server", "-ltrze.iLsfxCIvu", "--timeout=10", "--msgs2stderr", "--temp-dir=" + client + "/.tmp",
		".", client + "/completion/SHF706002A7"}
	if !p.Completion || !slices.Equal(p.Argv, want) {
		t.Fatalf("marker plan %+v", p)
	}

	mkdirs(t, client+"/current")
	p, err = cfg.Plan(testUID, "rsync --server --sender -ltre.iLsfxCIvu . datastore-current/ power-logs")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"/usr/bin/rsync", "--server", "--sender", "-ltre.iLsfxCIvu", "--msgs2stderr", ".",
		client + "/current/datastore-current/", client + "/current/power-logs"}
	if p.Mode != Restore || !slices.Equal(p.Argv, want) {
		t.Fatalf("restore plan %+v", p)
	}
}

func TestPlanPathMapping(t *testing.T) {
	cfg, client := testConfig(t)
	mkdirs(t, client+"/current", client+"/snapshots/2026-11-21T2300Z", client+"/snapshots/2026-11-22T0040Z")
	cur, snaps := client+"/current", client+"/snapshots"
	cases := []struct {
		vroot, cmd, want string
	}{
		{"", "rsync --server -r . .", cur + "/"},
		{"", "rsync --server -r . ~", cur + "/"},
		{"", "rsync --server -r . ~/docs", cur + "/docs"},
		{"", "rsync --server -r . a/./b/", cur + "/a/b/"},
		{"", "rsync --server -r . a/b/.", cur + "/a/b/"},
		{"", "rsync --server -r . /documents", cur + "/documents"},
		{"", "rsync --server -r . data\\ store", cur + "/data store"},
		{"/backup", "rsync --server -r . /backup/x/y", cur + "/x/y"},
		{"/backup/", "rsync --server -r . /backup", cur + "/"},
		{"/backup", "rsync --server -r . x", cur + "/x"},
		{"/backup", "rsync --server -r . //backup/./x//y/", cur + "/x/y/"},
		{"", "rsync --server --sender -r . .", cur + "/"},
		{"", "rsync --server --sender -r . @latest/", snaps + "/2026-11-22T0040Z/"},
		{"", "rsync --server --sender -r . @latest", snaps + "/2026-11-22T0040Z/"},
		{"", "rsync --server --sender -r . @2026-11-21T2300Z/datastore-current/", snaps + "/2026-11-21T2300Z/datastore-current/"},
		{"", "rsync --server --sender -r . @2026-11-21T2300Z/d", snaps + "/2026-11-21T2300Z/d"},
		// backupurl user@host:<uid>, used as-is by sugar-client.
		{"", "rsync --server -r . " + testUID, cur + "/"},
		{"", "rsync --server -r . " + testUID + "/", cur + "/"},
		{"", "rsync --server -r . " + testUID + "/docs", cur + "/docs"},
		{"", "rsync --server -r . backup", cur + "/"}, // SERIAL@HOST:backup
		{"", "rsync --server -r . backup/docs", cur + "/docs"},
		{"", "rsync --server --sender -r . backup/@latest/", snaps + "/2026-11-22T0040Z/"},
		{"", "rsync --server -r . /" + testUID + "/docs/", cur + "/docs/"},
		{"", "rsync --server --sender -r . " + testUID + "/@latest/", snaps + "/2026-11-22T0040Z/"},
		{"", "rsync --server -r . 0000000000000000000000000000000000000000/x", cur + "/0000000000000000000000000000000000000000/x"},
	}
	for _, c := range cases {
		cfg.VirtualRoot = c.vroot
		p, err := cfg.Plan(testUID, c.cmd)
		if err != nil {
			t.Errorf("%q (vroot %q): %v", c.cmd, c.vroot, err)
			continue
		}
		if got := p.Targets[0]; got != c.want || p.Argv[len(p.Argv)-1] != c.want {
			t.Errorf("%q (vroot %q) -> %q, want %q", c.cmd, c.vroot, got, c.want)
		}
	}
	refused := []struct{ vroot, cmd, why string }{
		{"", "rsync --server -r . ../x", `".."`},
		{"", "rsync --server -r . a/../../x", `".."`},
		{"", "rsync --server -r . /../etc", `".."`},
		{"", "rsync --server -r . ~/..", `".."`},
		{"/backup", "rsync --server -r . /etc/passwd", "outside /backup"},
		{"/backup", "rsync --server -r . /backupx/y", "outside /backup"},
		{"", "rsync --server -r . @latest/x", "snapshots, read only"},
		{"", "rsync --server -r . /@2026-11-22T0040Z", "snapshots, read only"},
		{"", "rsync --server -r . " + testUID + "/@latest", "snapshots, read only"},
		{"", "rsync --server -r . " + testUID + "/../x", `".."`},
		{"", "rsync --server -r . /var/lib/ds-backup/completion/../../../etc/cron.d/x", "bad completion marker"},
		{"", "rsync --server -r . /var/lib/ds-backup/completion/a/b", "bad completion marker"},
		{"", "rsync --server --sender -r . /var/lib/ds-backup/completion/SN", ""}, // restore: just a path
		{"", "rsync --server --sender -r . @bogus/x", "bad snapshot name"},
		{"", "rsync --server --sender -r . @2026-11-22T0040Z/../../x", `".."`},
		{"", "rsync --server -r . " + strings.Repeat("a", 256), "component longer"},
		{"", "rsync --server -r . " + strings.Repeat("a/", 513), "path longer"},
	}
	for _, c := range refused {
		cfg.VirtualRoot = c.vroot
		p, err := cfg.Plan(testUID, c.cmd)
		if c.why == "" {
			if err != nil || p.Targets[0] != cur+"/var/lib/ds-backup/completion/SN" {
				t.Errorf("%q: %v %+v", c.cmd, err, p)
			}
			continue
		}
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%q (vroot %q): error %v, want refusal mentioning %q", c.cmd, c.vroot, err, c.why)
		}
	}
}

func TestPlanRefusesSymlinks(t *testing.T) {
	outside := t.TempDir()
	cfg, client := testConfig(t)
	mkdirs(t, client+"/current/dir", client+"/snapshots/2026-11-22T0040Z")
	if err := os.WriteFile(client+"/current/file", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{client + "/current/evil", client + "/snapshots/2026-11-22T0040Z/evil", client + "/current/dir/evil"} {
		if err := os.Symlink(outside, l); err != nil {
			t.Fatal(err)
		}
	}
	for cmd, why := range map[string]string{
		"rsync --server -r . evil":                             `"current/evil" is a symlink`,
		"rsync --server -r . evil/x":                           `"current/evil" is a symlink`,
		"rsync --server -r . dir/evil/":                        `"current/dir/evil" is a symlink`,
		"rsync --server --sender -r . evil/":                   `"current/evil" is a symlink`,
		"rsync --server --sender -r . ok evil":                 `"current/evil" is a symlink`,
		"rsync --server --sender -r . @2026-11-22T0040Z/evil/": "is a symlink",
		"rsync --server --sender -r . @latest/evil":            "is a symlink",
		"rsync --server -r . file/x":                           `"current/file" is not a directory`,
	} {
		_, err := cfg.Plan(testUID, cmd)
		wantRefused(t, err, why)
	}

	// current itself, and the client directory itself, as symlinks.
	cfg2, client2 := testConfig(t)
	mkdirs(t, client2)
	if err := os.Symlink(outside, client2+"/current"); err != nil {
		t.Fatal(err)
	}
	_, err := cfg2.Plan(testUID, "rsync --server -r . x")
	wantRefused(t, err, `"current" is a symlink`)
	cfg3, client3 := testConfig(t)
	if err := os.Symlink(outside, client3); err != nil {
		t.Fatal(err)
	}
	_, err = cfg3.Plan(testUID, "rsync --server -r . x")
	wantRefused(t, err, "client directory is a symlink")
	_, err = cfg3.Plan(testUID, "rsync --server --sender -r . x")
	wantRefused(t, err, "client directory is a symlink")
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("planning wrote outside: %v", entries)
	}
}

func TestPlanMisc(t *testing.T) {
	cfg, _ := testConfig(t)
	_, err := cfg.Plan(testUID, "rsync --server --sender -r . x")
	wantRefused(t, err, "nothing backed up yet")
	_, err = cfg.Plan(testUID, "rsync --server --sender -r . @latest/")
	wantRefused(t, err, "")
	for _, bad := range []string{"", "7455B79EB53864B13C93E8440DE72190B4522B8E", "../x", testUID + "0", strings.Repeat("g", 40)} {
		_, err := cfg.Plan(bad, "rsync --server -r . x")
		wantRefused(t, err, "bad client id")
	}
	if _, err := (Config{Root: "rel", AllowRoot: true}).Plan(testUID, "rsync --server -r . x"); err == nil {
		t.Fatal("relative root accepted")
	}
	if os.Geteuid() == 0 {
		c := cfg
		c.AllowRoot = false
		if _, err := c.Plan(testUID, "rsync --server -r . x"); err == nil || !strings.Contains(err.Error(), "root") {
			t.Fatalf("running as root: %v", err)
		}
	}
	if Backup.String() != "backup" || Restore.String() != "restore" {
		t.Fatal("Mode.String")
	}
}
