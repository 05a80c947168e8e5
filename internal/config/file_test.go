package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestFileSyntax checks the INI forms a config file may use.
func TestFileSyntax(t *testing.T) {
	d := newDemo()
	src := oneFile(t, "\uFEFF# sugar-server style\r\n"+
		"; also a comment\r\n"+
		"   LISTEN   =   :8001   \r\n"+
		"mode: lab\n"+
		"\n"+
		"[ Backup ]\n"+
		"  max-concurrent = 3\n"+
		"[backup-rsync]\n"+
		"bwlimit=50\n"+
		"[client]\n"+
		"jabber-server = xmpp.school # not a comment\n"+
		"[main]\n"+
		"workers = 6\n"+
		"admin = \"  spaced\\tand quoted  \"\n"+
		"admin = \"unclosed\n"+
		"db-password = a=b:c\n")
	mustLoad(t, d.s, src)
	checks := []struct{ got, want any }{
		{d.listen.Get(), ":8001"},
		{d.mode.Get(), "lab"},
		{d.maxc.Get(), 3},
		{d.rsyncBW.Get(), 50},
		{d.jabber.Get(), "xmpp.school # not a comment"},
		{d.workers.Get(), 6},
		{d.admins.Get(), []string{"  spaced\tand quoted  ", `"unclosed`}},
		{d.password.Get(), "a=b:c"},
	}
	for i, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("check %d: got %q, want %q", i, c.got, c.want)
		}
	}
	if o := d.s.Origin("backup-max-concurrent"); o != src.SystemFile+":7" {
		t.Errorf("origin %q", o)
	}
	if o := d.s.Origin("id-jabber-server"); o != src.SystemFile+":11" {
		t.Errorf("alias origin %q", o)
	}
}

func TestListEmptyElement(t *testing.T) {
	d := newDemo()
	mustLoad(t, d.s, oneFile(t, "admin = \"\"\nadmin = x\n"))
	if got := d.admins.Get(); !reflect.DeepEqual(got, []string{"", "x"}) {
		t.Errorf("admins = %q", got)
	}
}

// TestFreeFormSection checks [id-config] collects any key, keeps its case,
// and that a higher layer's map replaces a lower one's.
func TestFreeFormSection(t *testing.T) {
	paths := files(t, map[string]string{
		"system": "[id-config]\napi-url = http://school:8000\nAuto-Register = yes\nweird key = a = b\n",
		"user":   "[id-config]\n",
		"other":  "[id-config]\nx = 1\n[backup]\nmax-concurrent = 2\n[id-config]\ny = 2\n",
	})
	d := newDemo()
	mustLoad(t, d.s, Sources{SystemFile: paths["system"]})
	want := map[string]string{"api-url": "http://school:8000", "Auto-Register": "yes", "weird key": "a = b"}
	if got := d.idConfig.Get(); !reflect.DeepEqual(got, want) {
		t.Errorf("system only: %q", got)
	}

	mustLoad(t, d.s, Sources{SystemFile: paths["system"], UserFile: paths["user"]})
	if got := d.idConfig.Get(); len(got) != 0 || d.s.Origin("id-config") != paths["user"]+":1" {
		t.Errorf("an empty [id-config] in the user file should replace: %q from %s", got, d.s.Origin("id-config"))
	}

	mustLoad(t, d.s, Sources{SystemFile: paths["other"]})
	if got := d.idConfig.Get(); !reflect.DeepEqual(got, map[string]string{"x": "1", "y": "2"}) {
		t.Errorf("section given twice: %q", got)
	}

	mustLoad(t, d.s, Sources{SystemFile: paths["system"], Env: []string{"AULA_ID_CONFIG=a=1, b = 2"}})
	if got := d.idConfig.Get(); !reflect.DeepEqual(got, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("env: %q", got)
	}

	mustLoad(t, d.s, Sources{SystemFile: paths["system"], Args: []string{"--id-config", "k=v=w", "--id-config=j=x"}})
	if got := d.idConfig.Get(); !reflect.DeepEqual(got, map[string]string{"k": "v=w", "j": "x"}) {
		t.Errorf("flags: %q", got)
	}

	mustLoad(t, d.s, Sources{SystemFile: paths["system"], Args: []string{"--id-config="}})
	if got := d.idConfig.Get(); len(got) != 0 {
		t.Errorf("--id-config= should empty the map: %q", got)
	}
}

// TestConfigFlag checks --config and AULA_CONFIG replace the two default
// files, in order, each its own layer.
func TestConfigFlag(t *testing.T) {
	paths := files(t, map[string]string{
		"system": "listen = :1\nworkers = 11\n",
		"user":   "listen = :2\n",
		"a":      "listen = :3\nadmin = a\n",
		"b":      "admin = b\n",
		"c":      "workers = 12\n",
	})
	base := Sources{SystemFile: paths["system"], UserFile: paths["user"]}
	tests := []struct {
		name    string
		args    []string
		env     []string
		listen  string
		workers int
		admins  []string
	}{
		{"defaults files", nil, nil, ":2", 11, []string{"root"}},
		{"one --config", []string{"--config", paths["a"]}, nil, ":3", 4, []string{"a"}},
		{"colon list, later file replaces list", []string{"--config=" + paths["a"] + ":" + paths["b"]}, nil, ":3", 4, []string{"b"}},
		{"repeated", []string{"--config", paths["b"], "--config", paths["c"]}, nil, ":8000", 12, []string{"b"}},
		{"empty reads none", []string{"--config="}, nil, ":8000", 4, []string{"root"}},
		{"AULA_CONFIG", nil, []string{"AULA_CONFIG=" + paths["c"]}, ":8000", 12, []string{"root"}},
		{"flag beats AULA_CONFIG", []string{"--config", paths["a"]}, []string{"AULA_CONFIG=" + paths["c"]}, ":3", 4, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo()
			src := base
			src.Args, src.Env = tt.args, tt.env
			mustLoad(t, d.s, src)
			if d.listen.Get() != tt.listen || d.workers.Get() != tt.workers || !reflect.DeepEqual(d.admins.Get(), tt.admins) {
				t.Errorf("listen %q workers %d admins %q", d.listen.Get(), d.workers.Get(), d.admins.Get())
			}
		})
	}
}

// TestMissingFiles: the default files may be absent; named ones may not.
func TestMissingFiles(t *testing.T) {
	d := newDemo()
	mustLoad(t, d.s, Sources{SystemFile: "/nonexistent/aula.conf", UserFile: "/nonexistent/user"})
	msg := loadErr(t, d.s, Sources{Args: []string{"--config", "/nonexistent/x.conf"}})
	if msg != "/nonexistent/x.conf: cannot read: no such file or directory" {
		t.Errorf("got %q", msg)
	}
	msg = loadErr(t, d.s, Sources{Env: []string{"AULA_CONFIG=/nonexistent/y.conf"}})
	if !strings.HasPrefix(msg, "/nonexistent/y.conf: cannot read") {
		t.Errorf("got %q", msg)
	}
}

func TestDefaultSources(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg")
	src := DefaultSources([]string{"--debug"})
	if src.SystemFile != "/etc/aula.conf" || src.UserFile != "/tmp/xdg/aula/config" || len(src.Args) != 1 || len(src.Env) == 0 {
		t.Errorf("%+v", src)
	}
}
