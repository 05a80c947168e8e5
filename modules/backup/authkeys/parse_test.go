package authkeys

import (
	"regexp"
	"strings"
	"testing"
)

// managedLineRegexp is what parseManaged reads, as the regular expression
// it replaced.
var managedLineRegexp = regexp.MustCompile(`^command="[^"]*",restrict (\S+) (\S+) ` + CommentPrefix + `([0-9a-f]{40})$`)

func TestParseManaged(t *testing.T) {
	uid := strings.Repeat("0a", 20)
	good := `command="/usr/bin/aula backup-gate --uid ` + uid + `",restrict ssh-ed25519 AAAAC3Nz aula:` + uid
	typ, blob, got, ok := parseManaged(good)
	if !ok || typ != "ssh-ed25519" || blob != "AAAAC3Nz" || got != uid {
		t.Fatalf("parseManaged(%q) = %q %q %q %v", good, typ, blob, got, ok)
	}
	for _, bad := range []string{
		"",
		"# aula backup clients: begin",
		`command="x",restrict ssh-ed25519 AAAA aula:` + strings.ToUpper(uid),         // uppercase uid
		`command="x",restrict ssh-ed25519 AAAA aula:` + uid[:39],                     // short uid
		`command="x",restrict ssh-ed25519  AAAA aula:` + uid,                         // empty field
		`command="x",restrict ssh-ed25519 AA	AA aula:` + uid,                         // tab in the blob
		`command="x",restrict ssh-ed25519 AAAA aula:` + uid + " ",                    // not trimmed
		`command="x"y",restrict ssh-ed25519 AAAA aula:` + uid,                        // quote in the command
		`command="x",restrict AAAA aula:` + uid,                                      // no type
		`ssh-ed25519 AAAA aula:` + uid,                                               // no command
		`command="x",restrict ssh-ed25519 AAAA aula:` + uid + "0",                    // long uid
		`command="x",restrict ssh-ed25519 AAAA ` + uid,                               // no comment prefix
		`command="x",restrict ssh-ed25519 AAAA extra aula:` + uid,                    // a field too many
		`command="x",restrictssh-ed25519 AAAA aula:` + uid,                           // no space
		`command="x",restrict ssh-ed25519 AAAA aula:` + strings.Repeat("g", 40),      // not hex
		`command="x",restrict ssh-ed25519 AAAA aula:` + uid + "\n",                   // newline
		`command="x",restrict ssh-ed25519 AAAA aula:aula:` + uid[:35],                // prefix twice
		`command="x",restrict ssh-ed25519 AAAA` + "\f" + `AAAA aula:` + uid,          // form feed
		`command="x",restrict ssh-ed25519 AAAA` + "\v" + `AAAA aula:` + uid + "0",    // \v is not white space to RE2, but the uid is long
		`xcommand="x",restrict ssh-ed25519 AAAA aula:` + uid,                         // not at the start
		`command="x",restrict ssh-ed25519 AAAA aula:` + uid[:20] + "\x00" + uid[21:], // NUL
	} {
		if _, _, _, ok := parseManaged(bad); ok {
			t.Errorf("parseManaged(%q) accepted it", bad)
		}
		if managedLineRegexp.MatchString(bad) {
			t.Errorf("the regexp accepts %q: the case is wrong", bad)
		}
	}
}

// FuzzParseManagedMatchesRegexp holds the hand-written reader of managed
// lines to the regular expression it replaced: the same lines, the same
// type, blob and uid.
func FuzzParseManagedMatchesRegexp(f *testing.F) {
	uid := strings.Repeat("0a", 20)
	for _, s := range []string{
		`command="/usr/bin/aula backup-gate --uid ` + uid + `",restrict ssh-ed25519 AAAAC3Nz aula:` + uid,
		`command="",restrict a b aula:` + uid,
		`command="x",restrict a` + "\v" + `b c aula:` + uid,
		`command="x",restrict a b aula:` + uid + "\xff",
		`command="x",restrict ` + "\xff\xfe" + ` b aula:` + uid,
		`command="x" ",restrict a b aula:` + uid,
		"# aula backup clients: begin (managed by aula, edits here are lost)",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 4096 {
			return
		}
		typ, blob, uid, ok := parseManaged(line)
		m := managedLineRegexp.FindStringSubmatch(line)
		if ok != (m != nil) {
			t.Fatalf("parseManaged(%q) = %v, the regexp %v", line, ok, m != nil)
		}
		if ok && (typ != m[1] || blob != m[2] || uid != m[3]) {
			t.Fatalf("parseManaged(%q) = %q %q %q, the regexp %q %q %q", line, typ, blob, uid, m[1], m[2], m[3])
		}
	})
}
