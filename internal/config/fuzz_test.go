package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseINI feeds arbitrary bytes to the file parser and to Load. The
// parser must not panic, must place every entry on a real line, and must
// read back what encodeValue writes; a file that Load accepts must survive
// Write and Load with the same values.
func FuzzParseINI(f *testing.F) {
	for _, seed := range []string{
		"",
		"listen = :8000\n",
		"# c\n; c\n[backup]\nmax-concurrent: 4\n[client]\njabber-server = x\n",
		"[id-config]\nApi-Url = http://s\n[id-config]\nk =\n",
		"admin = \"\"\nadmin = \"  a\\tb\"\nadmin =\n",
		"\uFEFF[main]\r\nworkers = 3\r\n",
		"[bad\nx = 1\n[ ]\n= 2\n[backup] junk\n",
		"timeout = 90\ndebug = yes\nmode = lab\n",
		"listen = \"\\xff\\x00\"\n",
		"[backup-rsync]\nbwlimit = -5\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, errs := parseINI(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range entries {
			if e.line < 1 || e.line > lines {
				t.Fatalf("entry at line %d of %d", e.line, lines)
			}
			if e.header {
				continue
			}
			value := encodeValue(e.value)
			if e.value == "" && e.quoted {
				value = `""`
			}
			header := "# top level\n"
			if e.section != "" {
				header = "[" + e.section + "]\n"
			}
			again, errs := parseINI([]byte(header + e.key + " = " + value + "\n"))
			if len(errs) != 0 || len(again) == 0 {
				t.Fatalf("re-encoded %q = %q: %v %v", e.key, e.value, again, errs)
			}
			if got := again[len(again)-1]; got.key != e.key || got.value != e.value || got.section != e.section ||
				(e.value == "" && got.quoted != e.quoted) {
				t.Fatalf("re-encoded %+v read back as %+v", e, got)
			}
		}
		for _, e := range errs {
			if e.line < 1 || e.line > lines {
				t.Fatalf("error at line %d of %d", e.line, lines)
			}
		}

		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.conf")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		d := newDemo()
		if _, err := d.s.Load(Sources{SystemFile: path}); err != nil {
			return
		}
		var out bytes.Buffer
		if err := d.s.Write(&out); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		back := newDemo()
		if _, err := back.s.Load(Sources{SystemFile: path}); err != nil {
			t.Fatalf("written file does not load: %v\n%s", err, out.String())
		}
		for _, name := range d.s.Names() {
			want, _ := d.s.Lookup(name)
			got, _ := back.s.Lookup(name)
			if !want.Secret && !reflect.DeepEqual(got.Value, want.Value) {
				t.Fatalf("%s: %q came back as %q\n%s", name, want.Value, got.Value, out.String())
			}
		}
	})
}
