package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestWriteRoundTrip sets options from every layer, with values that need
// quoting, writes the effective configuration, and loads the output as the
// only config file: every option but the secret must come back the same.
func TestWriteRoundTrip(t *testing.T) {
	d := newDemo()
	src := oneFile(t, "[main]\nworkers = 7\n[client]\njabber-server = \"  xmpp \\\"school\\\"\\n\"\n"+
		"[id-config]\napi-url = http://school:8000\nNickName = \"#not a comment\"\nempty =\n")
	src.Env = []string{"AULA_BACKUP_MAX_CONCURRENT=2", "AULA_DB_PASSWORD=hunter2", "AULA_ADMIN="}
	src.Args = []string{"--listen", "", "--timeout=90", "--debug", "--mode=lab", "--backup-rsync-bwlimit=-1"}
	mustLoad(t, d.s, src)

	var out bytes.Buffer
	if err := d.s.Write(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Fatalf("secret written:\n%s", out.String())
	}
	saved := filepath.Join(t.TempDir(), "saved.conf")
	if err := os.WriteFile(saved, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	back := newDemo()
	mustLoad(t, back.s, Sources{Args: []string{"--config", saved}})
	for _, name := range d.s.Names() {
		want, _ := d.s.Lookup(name)
		got, _ := back.s.Lookup(name)
		if name == "db-password" {
			if got.Text != "" || got.Origin != "default" {
				t.Errorf("secret came back: %q from %s", got.Text, got.Origin)
			}
			continue
		}
		if !reflect.DeepEqual(got.Value, want.Value) {
			t.Errorf("%s: wrote %q, read back %q\n%s", name, want.Value, got.Value, out.String())
		}
		if (got.Origin == "default") != (want.Origin == "default") {
			t.Errorf("%s: origin %s, read back from %s", name, want.Origin, got.Origin)
		}
	}

	// The same again from the saved file: writing is stable.
	var again bytes.Buffer
	if err := back.s.Write(&again); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(again.String(), "set by "+saved+":"); n != 10 {
		t.Errorf("%d options set by the saved file, want 10:\n%s", n, again.String())
	}
}

// TestWriteFormat pins the output format an admin reads.
func TestWriteFormat(t *testing.T) {
	s := NewSet()
	s.String("listen", ":8000", "address of the main HTTP listener (REST, XML-RPC, /api); empty turns it off")
	s.List("admin", nil, "users allowed to administer")
	s.String("token", "", "API token").Secret()
	b := s.Section("backup")
	b.Int("max-concurrent", 10, "most backups running at once")
	b.String("mode", "rsync", "").Choices("rsync", "tar")
	id := s.Section("id")
	id.Map("config", "sugar-client options")
	s.Map("extra", "extra things")
	src := oneFile(t, "[backup]\nmax-concurrent = 4\n[extra]\nk = v\n")
	src.Args = []string{"--token=s3cret", "--admin=ana", "--admin=  bea"}
	mustLoad(t, s, src)
	var out bytes.Buffer
	if err := s.Write(&out); err != nil {
		t.Fatal(err)
	}
	want := writeHeader + `
# address of the main HTTP listener (REST, XML-RPC, /api); empty turns it off
# listen = :8000

# users allowed to administer
# default: none; set by flag --admin
admin = ana
admin = "  bea"

# API token
# default: ""; secret: set by flag --token, not shown here

[backup]

# most backups running at once
# default: 10; set by F:2
max-concurrent = 4

# one of: rsync, tar
# mode = rsync

# [id-config]
# sugar-client options
# (free-form: any "key = value" lines)

[extra]
# extra things
# set by F:3
k = v
`
	want = strings.ReplaceAll(want, "F:", src.SystemFile+":")
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestWriteDefaults checks a file written with nothing set loads back with
// every option still at its default.
func TestWriteDefaults(t *testing.T) {
	d := newDemo()
	var out bytes.Buffer
	if err := d.s.Write(&out); err != nil {
		t.Fatal(err)
	}
	back := newDemo()
	mustLoad(t, back.s, oneFile(t, out.String()))
	for _, name := range back.s.Names() {
		if o := back.s.Origin(name); o != "default" {
			t.Errorf("%s set by %s", name, o)
		}
	}
}

func TestUsage(t *testing.T) {
	d := newDemo()
	var out bytes.Buffer
	if err := d.s.Usage(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"Options:\n  --config PATH[:PATH...]\n        read only these config files instead of /etc/aula.conf and\n",
		"  --listen string\n        address of the main HTTP listener (REST, XML-RPC, /api); empty turns\n        it off (default \":8000\")\n",
		"  --debug\n        send internal error details to clients\n",
		"  --workers int\n        request workers (default 4)\n",
		"  --timeout duration\n        how long a request may take (default 30s)\n",
		"  --admin value (repeatable)\n        users allowed to administer (default root)\n",
		"  --mode school|lab|app\n        what this server is (default \"school\")\n",
		"  --backup-max-concurrent int\n        most backups running at once (default 10)\n",
		"  --id-config key=value (repeatable; also the [id-config] section)\n",
		"[backup] max-concurrent is\n--backup-max-concurrent)",
		"AULA_NAME",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("usage lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "--db-password string\n        database password (default") {
		t.Error("empty string default shown")
	}
}

func TestNamesLookup(t *testing.T) {
	d := newDemo()
	want := []string{"listen", "debug", "workers", "timeout", "admin", "mode", "db-password",
		"backup-max-concurrent", "backup-rsync-bwlimit", "id-jabber-server", "id-config"}
	if got := d.s.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q", got)
	}
	mustLoad(t, d.s, Sources{Env: []string{"AULA_BACKUP_MAX_CONCURRENT=3"}})
	info, ok := d.s.Lookup("backup-max-concurrent")
	wantInfo := Info{Name: "backup-max-concurrent", Section: "backup", Kind: KindInt, Help: "most backups running at once",
		Default: "10", Text: "3", Value: 3, Origin: "env AULA_BACKUP_MAX_CONCURRENT", Env: "AULA_BACKUP_MAX_CONCURRENT"}
	if !ok || !reflect.DeepEqual(info, wantInfo) {
		t.Errorf("Lookup = %+v", info)
	}
	if info, _ := d.s.Lookup("mode"); !reflect.DeepEqual(info.Choices, []string{"school", "lab", "app"}) {
		t.Errorf("choices %q", info.Choices)
	}
	if info, _ := d.s.Lookup("db-password"); !info.Secret {
		t.Error("secret not reported")
	}
	if _, ok := d.s.Lookup("nope"); ok || d.s.Origin("nope") != "" {
		t.Error("unknown option found")
	}
}
