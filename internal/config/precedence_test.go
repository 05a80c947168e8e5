package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestPrecedence sets options in every combination of the five layers and
// checks which one wins and that Origin names it.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name       string
		system     string // "" = no file at all
		user       string
		env        []string
		args       []string
		option     string
		want       string
		wantOrigin string // "SYS:n" / "USER:n" stand for the temp paths
	}{
		{"default", "", "", nil, nil, "listen", ":8000", "default"},
		{"system file", "listen = :1\n", "", nil, nil, "listen", ":1", "SYS:1"},
		{"user over system", "listen = :1\n", "\nlisten = :2\n", nil, nil, "listen", ":2", "USER:2"},
		{"user only", "", "listen = :2\n", nil, nil, "listen", ":2", "USER:1"},
		{"env over files", "listen = :1\n", "listen = :2\n", []string{"AULA_LISTEN=:3"}, nil, "listen", ":3", "env AULA_LISTEN"},
		{"flag over env", "listen = :1\n", "listen = :2\n", []string{"AULA_LISTEN=:3"}, []string{"--listen=:4"}, "listen", ":4", "flag --listen"},
		{"flag over files", "listen = :1\n", "", nil, []string{"--listen", ":4"}, "listen", ":4", "flag --listen"},
		{"lower layer kept for other options", "workers = 7\n", "listen = :2\n", nil, []string{"--debug"}, "workers", "7", "SYS:1"},
		{"later flag wins", "", "", nil, []string{"--workers=2", "--workers=3"}, "workers", "3", "flag --workers"},
		{"empty string overrides", "listen = :1\n", "", []string{"AULA_LISTEN="}, nil, "listen", "", "env AULA_LISTEN"},
		{"list default", "", "", nil, nil, "admin", "root", "default"},
		{"list appends within a file", "admin = ana\nadmin = bea\n", "", nil, nil, "admin", "ana,bea", "SYS:1"},
		{"list replaced by user file", "admin = ana\nadmin = bea\n", "admin = cid\n", nil, nil, "admin", "cid", "USER:1"},
		{"list replaced by env", "admin = ana\n", "", []string{"AULA_ADMIN=dan, eva"}, nil, "admin", "dan,eva", "env AULA_ADMIN"},
		{"list replaced by flags", "admin = ana\n", "", []string{"AULA_ADMIN=dan"}, []string{"--admin", "fay", "--admin=gil"}, "admin", "fay,gil", "flag --admin"},
		{"list reset in a file", "admin =\n", "", nil, nil, "admin", "", "SYS:1"},
		{"list reset then append", "", "", nil, []string{"--admin=x", "--admin=", "--admin=y"}, "admin", "y", "flag --admin"},
		{"list reset by env", "", "", []string{"AULA_ADMIN="}, nil, "admin", "", "env AULA_ADMIN"},
		{"list quoted empty element", "admin = \"\"\n", "", nil, nil, "admin", "", "SYS:1"},
		{"section in env", "[backup]\nmax-concurrent = 2\n", "", []string{"AULA_BACKUP_MAX_CONCURRENT=4"}, nil, "backup-max-concurrent", "4", "env AULA_BACKUP_MAX_CONCURRENT"},
		{"bool flag bare", "debug = no\n", "", nil, []string{"--debug"}, "debug", "true", "flag --debug"},
		{"bool flag false", "debug = on\n", "", nil, []string{"--debug=false"}, "debug", "false", "flag --debug"},
		{"duration seconds", "timeout = 90\n", "", nil, nil, "timeout", "1m30s", "SYS:1"},
		{"duration go syntax", "", "", []string{"AULA_TIMEOUT=1h2m"}, nil, "timeout", "1h2m0s", "env AULA_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo()
			dir := t.TempDir()
			src := Sources{Env: tt.env, Args: tt.args,
				SystemFile: filepath.Join(dir, "system"), UserFile: filepath.Join(dir, "user")}
			if tt.system != "" {
				write(t, src.SystemFile, tt.system)
			}
			if tt.user != "" {
				write(t, src.UserFile, tt.user)
			}
			mustLoad(t, d.s, src)
			if got := text(t, d.s, tt.option); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.option, got, tt.want)
			}
			want := tt.wantOrigin
			if len(want) > 4 && want[:4] == "SYS:" {
				want = src.SystemFile + ":" + want[4:]
			}
			if len(want) > 5 && want[:5] == "USER:" {
				want = src.UserFile + ":" + want[5:]
			}
			if got := d.s.Origin(tt.option); got != want {
				t.Errorf("Origin(%s) = %q, want %q", tt.option, got, want)
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTypedGetters checks every accessor returns the typed value, and that
// lists and maps handed out are copies.
func TestTypedGetters(t *testing.T) {
	d := newDemo()
	mustLoad(t, d.s, Sources{Args: []string{
		"--listen=:1", "--debug", "--workers=9", "--timeout=2m", "--admin=a", "--admin=b",
		"--mode=lab", "--backup-max-concurrent=3", "--backup-rsync-bwlimit=100",
		"--id-jabber-server=xmpp.school", "--id-config", "api-url=http://s:8000", "--db-password=pw",
	}})
	if d.listen.Get() != ":1" || !d.debug.Get() || d.workers.Get() != 9 || d.timeout.Get() != 2*time.Minute ||
		d.mode.Get() != "lab" || d.maxc.Get() != 3 || d.rsyncBW.Get() != 100 ||
		d.jabber.Get() != "xmpp.school" || d.password.Get() != "pw" {
		t.Errorf("scalars: %q %v %d %v %q %d %d %q", d.listen.Get(), d.debug.Get(), d.workers.Get(),
			d.timeout.Get(), d.mode.Get(), d.maxc.Get(), d.rsyncBW.Get(), d.jabber.Get())
	}
	admins := d.admins.Get()
	if !reflect.DeepEqual(admins, []string{"a", "b"}) {
		t.Errorf("admins = %q", admins)
	}
	admins[0] = "changed"
	if d.admins.Get()[0] != "a" {
		t.Error("Get returned the Set's own slice")
	}
	m := d.idConfig.Get()
	if !reflect.DeepEqual(m, map[string]string{"api-url": "http://s:8000"}) {
		t.Errorf("id-config = %v", m)
	}
	m["x"] = "y"
	if len(d.idConfig.Get()) != 1 {
		t.Error("Get returned the Set's own map")
	}
	if d.maxc.Name() != "backup-max-concurrent" || d.rsyncBW.Name() != "backup-rsync-bwlimit" {
		t.Errorf("names %q %q", d.maxc.Name(), d.rsyncBW.Name())
	}
}

// TestLoadResets checks a second Load starts again from the defaults.
func TestLoadResets(t *testing.T) {
	d := newDemo()
	mustLoad(t, d.s, Sources{Args: []string{"--workers=9", "--admin=x"}})
	mustLoad(t, d.s, Sources{})
	if d.workers.Get() != 4 || !reflect.DeepEqual(d.admins.Get(), []string{"root"}) || d.s.Origin("workers") != "default" {
		t.Errorf("after second Load: workers %d admins %q origin %q", d.workers.Get(), d.admins.Get(), d.s.Origin("workers"))
	}
}

// TestPositional checks positional arguments come back in order, with
// flags interleaved and "--" ending the flags.
func TestPositional(t *testing.T) {
	d := newDemo()
	rest := mustLoad(t, d.s, Sources{Args: []string{"lab1", "--debug", "-", "-5", "--workers", "2", "pc3", "--", "--listen=:1", "-x"}})
	want := []string{"lab1", "-", "-5", "pc3", "--listen=:1", "-x"}
	if !reflect.DeepEqual(rest, want) {
		t.Errorf("rest = %q, want %q", rest, want)
	}
	if d.listen.Get() != ":8000" || d.workers.Get() != 2 || !d.debug.Get() {
		t.Error("flags before -- not applied, or after -- applied")
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		d := newDemo()
		// A broken file must not stop --help from working.
		src := oneFile(t, "garbage\n")
		src.Args = []string{"status", arg, "--bogus"}
		rest, err := d.s.Load(src)
		if err != ErrHelp {
			t.Errorf("%s: err = %v, want ErrHelp", arg, err)
		}
		if len(rest) != 1 || rest[0] != "status" {
			t.Errorf("%s: rest = %q", arg, rest)
		}
	}
}

// TestGetDuringLoad runs Get and Load at once, for the race detector.
func TestGetDuringLoad(t *testing.T) {
	d := newDemo()
	done := make(chan bool)
	go func() {
		for range 50 {
			_ = d.workers.Get()
			_ = d.admins.Get()
			_ = d.s.Origin("workers")
		}
		done <- true
	}()
	for range 20 {
		mustLoad(t, d.s, Sources{Args: []string{"--workers=5", "--admin=x"}})
	}
	<-done
}
