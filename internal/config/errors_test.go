package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileErrors checks each problem in a file is reported at its file and
// line, with the exact message an admin will read. "F" stands for the path.
func TestFileErrors(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"unknown key in section", "[backup]\nmax-concurent = 4\n",
			`F:2: unknown option "max-concurent" in [backup] (did you mean "max-concurrent"?)`},
		{"unknown top-level key", "# x\nlisen = :1\n", `F:2: unknown option "lisen" (did you mean "listen"?)`},
		{"unknown key, nothing close", "[backup]\nfrobnicate = 1\n", `F:2: unknown option "frobnicate" in [backup]`},
		{"underscore typo", "[backup]\nmax_concurrent = 4\n",
			`F:2: unknown option "max_concurrent" in [backup] (did you mean "max-concurrent"?)`},
		{"key of another section", "[backup]\njabber-server = x\n", `F:2: unknown option "jabber-server" in [backup]`},
		{"unknown key under alias", "[client]\njaber-server = x\n",
			`F:2: unknown option "jaber-server" in [client] (did you mean "jabber-server"?)`},
		{"unknown section, once", "[bakup]\nmax-concurrent = 4\nfoo = 1\n",
			`F:1: unknown section [bakup] (did you mean [backup]?)`},
		{"bad int", "[backup]\nmax-concurrent = many\n",
			`F:2: bad value "many" for "max-concurrent" in [backup]: not an integer`},
		{"int out of range", "workers = 99999999999999999999\n",
			`F:1: bad value "99999999999999999999" for "workers": integer out of range`},
		{"bad bool", "debug = maybe\n", `F:1: bad value "maybe" for "debug": not a boolean (true/false, yes/no, on/off, 1/0)`},
		{"bad duration", "timeout = soon\n",
			`F:1: bad value "soon" for "timeout": not a duration (like 90s, 1h30m, or a number of seconds)`},
		{"validate", "workers = 0\n", `F:1: bad value "0" for "workers": must be at least 1`},
		{"choices", "mode = office\n", `F:1: bad value "office" for "mode": must be one of "school", "lab", "app"`},
		{"duplicate secret", "db-password = hunter2\ndb-password = hunter3\n", `F:2: "db-password" already set on line 1`},
		{"duplicate", "listen = :1\n[main]\nlisten = :2\n", `F:3: "listen" in [main] already set on line 1`},
		{"duplicate map key", "[id-config]\na = 1\na = 2\n", `F:3: "a" in [id-config] already set on line 2`},
		{"map as key", "id-config = x\n", `F:1: "id-config" is a free-form section: write its entries under [id-config]`},
		{"map as key in section", "[id]\nconfig = x\n", `F:2: "config" in [id] is a free-form section: write its entries under [id-config]`},
		{"no delimiter", "listen\n", `F:1: expected "name = value", got "listen"`},
		{"no key", "= 4\n", `F:1: missing name before '='`},
		{"unclosed header", "[backup\n", `F:1: section header "[backup" has no closing ]`},
		{"junk after header", "[backup] x\n", `F:1: text "x" after section header`},
		{"empty header", "[ ]\nlisten = 1\n", `F:1: empty section name []`},
		{"bad quoting", "listen = \"\\q\"\n", `F:1: bad quoted value "\"\\q\"" (Go string syntax)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := oneFile(t, tt.file)
			got := loadErr(t, newDemo().s, src)
			if want := strings.ReplaceAll(tt.want, "F:", src.SystemFile+":"); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestSecretBadValue checks a rejected secret is not echoed.
func TestSecretBadValue(t *testing.T) {
	s := NewSet()
	s.Int("pin", 0, "").Secret()
	s.Map("keys", "").Secret()
	src := oneFile(t, "pin = hunter2\n")
	src.Args = []string{"--pin=hunter3", "--keys=hunter4"}
	src.Env = []string{"AULA_PIN=hunter5", "AULA_KEYS=hunter6"}
	got := loadErr(t, s, src)
	if strings.Contains(got, "hunter") {
		t.Errorf("secret echoed: %s", got)
	}
	want := []string{
		src.SystemFile + `:1: bad value for "pin" (secret, not shown): not an integer`,
		`env AULA_KEYS: expected key=value[,key=value...], got (secret, not shown)`,
		`env AULA_PIN: bad value for --pin (secret, not shown): not an integer`,
		`flag --keys: expected key=value, got (secret, not shown)`,
		`flag --pin: bad value (secret, not shown): not an integer`,
	}
	if got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// TestManyErrors checks every problem is reported, in source order, and
// that a file of garbage gives a bounded answer.
func TestManyErrors(t *testing.T) {
	src := oneFile(t, "lisen = 1\nworkers = x\n")
	src.Env = []string{"AULA_WORKERS=y", "AULA_BOGUS=1"}
	src.Args = []string{"--workers=z", "--nope"}
	got := loadErr(t, newDemo().s, src)
	want := strings.Join([]string{
		src.SystemFile + `:1: unknown option "lisen" (did you mean "listen"?)`,
		src.SystemFile + `:2: bad value "x" for "workers": not an integer`,
		`env AULA_BOGUS: no such option`,
		`env AULA_WORKERS: bad value "y" for --workers: not an integer`,
		`unknown flag --nope`,
		`flag --workers: bad value "z": not an integer`,
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	garbage := oneFile(t, strings.Repeat("x\n", 500))
	got = loadErr(t, newDemo().s, garbage)
	if lines := strings.Count(got, "\n") + 1; lines != maxErrors+1 || !strings.HasSuffix(got, "... and 480 more problems") {
		t.Errorf("%d lines, ends %q", lines, got[len(got)-40:])
	}
}

func TestUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	got := loadErr(t, newDemo().s, Sources{SystemFile: dir})
	if got != dir+": cannot read: read "+dir+": is a directory" && got != dir+": cannot read: is a directory" {
		t.Errorf("directory: %q", got)
	}
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got = loadErr(t, newDemo().s, Sources{UserFile: big})
	if got != big+": larger than the 1048576-byte limit for a config file" {
		t.Errorf("big: %q", got)
	}
	exact := filepath.Join(dir, "exact.conf")
	if err := os.WriteFile(exact, []byte("listen = :7\n#"+strings.Repeat("x", MaxFileSize-14)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDemo()
	mustLoad(t, d.s, Sources{UserFile: exact})
	if d.listen.Get() != ":7" {
		t.Error("a file of exactly MaxFileSize bytes should load")
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		env  string
		want string // "" = no error
	}{
		{"AULA_LISEN=:1", `env AULA_LISEN: no such option (did you mean AULA_LISTEN?)`},
		{"AULA_listen=:1", `env AULA_listen: no such option (did you mean AULA_LISTEN?)`},
		{"AULA_BACKUP_MAX-CONCURRENT=1", `env AULA_BACKUP_MAX-CONCURRENT: no such option (did you mean AULA_BACKUP_MAX_CONCURRENT?)`},
		{"AULA_=1", `env AULA_: no such option`},
		{"AULA_DEBUG=", `env AULA_DEBUG: bad value "" for --debug: not a boolean (true/false, yes/no, on/off, 1/0)`},
		{"AULA_MODE=x", `env AULA_MODE: bad value "x" for --mode: must be one of "school", "lab", "app"`},
		{"AULA_ID_CONFIG=a=1,b", `env AULA_ID_CONFIG: expected key=value[,key=value...], got "b"`},
		{"AULA_ID_CONFIG=:x=1", `env AULA_ID_CONFIG: key ":x" must not contain = or :`},
		{"AULA_TEST_ANYTHING=1", ""},
		{"AULA_DEV_X=1", ""},
		{"AULA_EXACT=1", ""},
		{"AULA_EXACTLY=1", `env AULA_EXACTLY: no such option`},
		{"aula_listen=:1", ""},
		{"NOT_AULA_X=1", ""},
		{"AULA_BACKUP_MAX_CONCURRENT=5", ""},
	}
	for _, tt := range tests {
		d := newDemo()
		d.s.AllowEnv("AULA_DEV_*", "AULA_EXACT")
		_, err := d.s.Load(Sources{Env: []string{tt.env}})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.env, got, tt.want)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--lisen=:1"}, `unknown flag --lisen (did you mean --listen?)`},
		{[]string{"--backup-max-concurent", "4"}, `unknown flag --backup-max-concurent (did you mean --backup-max-concurrent?)`},
		{[]string{"--confg=x"}, `unknown flag --confg (did you mean --config?)`},
		{[]string{"--listen"}, `flag --listen: needs a value`},
		{[]string{"--config"}, `flag --config: needs a value`},
		{[]string{"--debug=maybe"}, `flag --debug: bad value "maybe": not a boolean (true/false, yes/no, on/off, 1/0)`},
		{[]string{"--workers", "0"}, `flag --workers: bad value "0": must be at least 1`},
		{[]string{"-debug"}, `unknown flag -debug (long options take two dashes: --debug)`},
		{[]string{"-x"}, `unknown flag -x`},
		{[]string{"--id-config", "novalue"}, `flag --id-config: expected key=value, got "novalue"`},
		{[]string{"--id-config", "#k=v"}, `flag --id-config: key "#k" must not start with "#"`},
		{[]string{"--id-config", " k=v"}, `flag --id-config: key " k" has spaces at its ends`},
		{[]string{"--id-config", "=v"}, `flag --id-config: empty key`},
		{[]string{"--id-config", "a\x01=v"}, `flag --id-config: key "a\x01" has control characters`},
	}
	for _, tt := range tests {
		got := loadErr(t, newDemo().s, Sources{Args: tt.args})
		if got != tt.want {
			t.Errorf("%q:\ngot  %s\nwant %s", tt.args, got, tt.want)
		}
	}
}

// TestErrorType checks callers can take errors apart.
func TestErrorType(t *testing.T) {
	_, err := newDemo().s.Load(Sources{Args: []string{"--workers=x"}})
	var e *Error
	if !errors.As(err, &e) || e.Where != "flag --workers" || e.Msg != `bad value "x": not an integer` {
		t.Errorf("%#v", e)
	}
}

// TestListAndMapValidation checks Validate on a list sees each layer's
// whole list, and Choices each element.
func TestListAndMapValidation(t *testing.T) {
	s := NewSet()
	s.List("peer", nil, "").Validate(func(l []string) error {
		if len(l) > 2 {
			return errors.New("at most 2 peers")
		}
		return nil
	})
	s.List("proto", []string{"xmlrpc"}, "").Choices("xmlrpc", "rest", "chat")
	s.Map("labels", "").Choices("on", "off")
	src := oneFile(t, "peer = a\npeer = b\npeer = c\nproto = rest\nproto = soap\n[labels]\nx = on\ny = maybe\n")
	src.Args = []string{"--peer=a", "--peer=b"}
	got := loadErr(t, s, src)
	want := strings.Join([]string{
		src.SystemFile + `:5: bad value "soap" for "proto": must be one of "xmlrpc", "rest", "chat"`,
		src.SystemFile + `:8: bad value "y=maybe" for "y" in [labels]: must be one of "on", "off"`,
		src.SystemFile + `:1: bad value for "peer": at most 2 peers`,
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	s.Check(func() error { return errors.New("tls-cert needs tls-key") })
	if got := loadErr(t, s, Sources{}); got != "tls-cert needs tls-key" {
		t.Errorf("check: %q", got)
	}
}
