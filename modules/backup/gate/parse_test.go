package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Command lines captured from rsync 3.5.0 clients (see the package doc).
var realCommands = []struct {
	cmd    string
	sender bool
	opts   []string
	temp   bool
	paths  []string
}{
	// ds-backup: rsync -z -rlt --partial --delete --timeout=160 src/ host:datastore-current
	{"rsync --server -ltrze.iLsfxCIvu --timeout=160 --delete --partial . datastore-current", false,
		[]string{"-ltrze.iLsfxCIvu", "--timeout=160", "--delete", "--partial"}, false, []string{"datastore-current"}},
	// ds-backup marker: rsync -z -rlt --timeout 10 -T /tmp tmpfile host:/var/lib/ds-backup/completion/SN
	{"rsync --server -ltrze.iLsfxCIvu --timeout=10 --temp-dir /tmp . /var/lib/ds-backup/completion/SHF706002A7", false,
		[]string{"-ltrze.iLsfxCIvu", "--timeout=10"}, true, []string{"/var/lib/ds-backup/completion/SHF706002A7"}},
	// restore: rsync -rlt host:datastore-current/ local/
	{"rsync --server --sender -ltre.iLsfxCIvu . datastore-current/", true,
		[]string{"-ltre.iLsfxCIvu"}, false, []string{"datastore-current/"}},
	// the brief's form, from an older client (-a)
	{"rsync --server -logDtprze.iLsfxCIvu --partial --delete --timeout=160 . datastore-current", false,
		[]string{"-logDtprze.iLsfxCIvu", "--partial", "--delete", "--timeout=160"}, false, []string{"datastore-current"}},
	{"rsync --server -vlHogDtprze.iLsfxCIvu --compress-level=3 --delete-delay . d", false,
		[]string{"-vlHogDtprze.iLsfxCIvu", "--compress-level=3", "--delete-delay"}, false, []string{"d"}},
	{"rsync --server -ltre.iLsfxCIvu --log-format=X --partial-dir .p . d", false,
		[]string{"-ltre.iLsfxCIvu", "--log-format=X", "--partial-dir=.p"}, false, []string{"d"}},
	{"rsync --server -ltre.LsfxCIvu -B1024 --max-size=1048576 --bwlimit=10 . ./-x", false,
		[]string{"-ltre.LsfxCIvu", "-B1024", "--max-size=1048576", "--bwlimit=10"}, false, []string{"./-x"}},
	{"rsync --server --sender -ltre.iLsfxCIvu --list-only . a b", true,
		[]string{"-ltre.iLsfxCIvu", "--list-only"}, false, []string{"a", "b"}},
	// rsync 3.0 (XO-era) clients: no "e" bundle suffix at all.
	{"rsync --server -lrtz --partial --delete --timeout=160 . datastore-current", false,
		[]string{"-lrtz", "--partial", "--delete", "--timeout=160"}, false, []string{"datastore-current"}},
}

func TestParseCommandAcceptsRealClients(t *testing.T) {
	for _, c := range realCommands {
		r, err := ParseCommand(c.cmd)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", c.cmd, err)
			continue
		}
		if r.Sender != c.sender || r.TempDir != c.temp || !slices.Equal(r.Options, c.opts) || !slices.Equal(r.Paths, c.paths) {
			t.Errorf("ParseCommand(%q) = %+v", c.cmd, r)
		}
	}
}

func TestParseCommandRefuses(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty command",
		"sh -c 'id'":                          "metacharacter",
		"sh -c id":                            `only rsync is allowed, not "sh"`,
		"scp -t /tmp":                         "only rsync",
		"sftp":                                "only rsync",
		"internal-sftp":                       "only rsync",
		"/usr/bin/rsync --server . d":         "only rsync",
		"rsync --daemon":                      "only \"rsync --server\"",
		"rsync -av src/ /tmp/x":               "only \"rsync --server\"",
		"rsync --server --daemon . d":         "--daemon: daemon mode",
		"rsync --server --config=/x . d":      "--config: daemon mode",
		"rsync --server --rsh=sh . d":         "--rsh",
		"rsync --server -e sh . d":            `unexpected word "sh"`,
		"rsync --server -ltre.iLs/bin/sh . d": "capability",
		"rsync --server --rsync-path=/bin/sh . d":               "--rsync-path",
		"rsync --server --log-file=/tmp/x . d":                  "--log-file is not allowed",
		"rsync --server --log-file-format=%i . d":               "not allowed",
		"rsync --server --files-from=- --from0 . d":             "--files-from",
		"rsync --server --backup-dir /x . d":                    "--backup-dir is not allowed",
		"rsync --server -bltr . d":                              "option -b",
		"rsync --server -sltre.iLsfxCIvu . d":                   "option -s",
		"rsync --server -ltrR . d":                              "option -R",
		"rsync --server --sender -lLtr . d":                     "option -L",
		"rsync --server --sender -lktr . d":                     "option -k",
		"rsync --server -lKtr . d":                              "option -K",
		"rsync --server -M--log-file=/x . d":                    "option -M",
		"rsync --server --copy-unsafe-links . d":                "following symlinks",
		"rsync --server --inplace . d":                          "snapshots share",
		"rsync --server --append . d":                           "snapshots share",
		"rsync --server --remove-source-files . d":              "not deleted",
		"rsync --server --link-dest=/etc . d":                   "--link-dest is not allowed",
		"rsync --server --partial-dir=../x . d":                 "bad value",
		"rsync --server --partial-dir /tmp . d":                 "bad value",
		"rsync --server --timeout=1;id . d":                     "metacharacter",
		"rsync --server --timeout=abc . d":                      "bad value",
		"rsync --server --timeout . d":                          "bad value",
		"rsync --server --usermap=\\*:root . d":                 "not allowed",
		"rsync --server --super . d":                            "not allowed",
		"rsync --server --iconv=utf8 . d":                       "not allowed",
		"rsync --server --delete=x . d":                         "not allowed",
		"rsync --server -- . d":                                 `"--" is not allowed`,
		"rsync --server . -- d":                                 "exactly one destination",
		"rsync --server --sender . -- d":                        "looks like an option",
		"rsync --server --sender . --rsh=sh":                    "looks like an option",
		"rsync --server -ltr d":                                 `unexpected word "d"`,
		"rsync --server -ltr":                                   `no "."`,
		"rsync --server -ltr .":                                 "no path",
		"rsync --server . a b":                                  "exactly one destination",
		"rsync --server --sender --sender . a":                  "--sender is not allowed",
		"rsync --server --sender . " + strings.Repeat("a ", 17): "more than 16 paths",
		"rsync --server -B12x . d":                              "block size",
		"rsync --server -ltr --temp-dir -x . d":                 "bad value",
	}
	for cmd, want := range cases {
		_, err := ParseCommand(cmd)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), want) || strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("ParseCommand(%q) error %v; want a one-line refusal mentioning %q", cmd, err, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, c := range realCommands {
		f.Add(c.cmd)
	}
	for _, s := range []string{"", "sh -c id", `rsync --server . a\ b`, "rsync --server --sender -e.x . ~/a/../b",
		"rsync --server --temp-dir /tmp --partial-dir=.p . /var/lib/ds-backup/completion/X", "rsync --server -B1 . @latest/"} {
		f.Add(s)
	}
	cfg := Config{Root: "/nonexistent/aula-fuzz", AllowRoot: true}
	uid := strings.Repeat("ab", 20)
	f.Fuzz(func(t *testing.T, cmd string) {
		r, err := ParseCommand(cmd)
		if err != nil {
			var re *RefusedError
			if !errors.As(err, &re) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not a one-line refusal", err)
			}
			return
		}
		for _, o := range r.Options {
			if !strings.HasPrefix(o, "-") || o == "--" || strings.HasPrefix(o, "--temp-dir") {
				t.Fatalf("option %q passed", o)
			}
		}
		p, err := cfg.Plan(uid, cmd)
		if err != nil {
			return
		}
		// Every mapped path stays inside the client directory.
		for _, tg := range p.Targets {
			if !strings.HasPrefix(tg, p.ClientDir+"/") || strings.Contains(tg, "/../") || strings.HasSuffix(tg, "/..") {
				t.Fatalf("target %q escapes %q", tg, p.ClientDir)
			}
		}
		if p.Argv[0] != DefaultRsync || p.Argv[1] != "--server" {
			t.Fatalf("argv %q", p.Argv)
		}
	})
}
