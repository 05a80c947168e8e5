package authkeys

import (
	"crypto/sha1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

const gate = "/usr/local/bin/aula"

type key struct {
	typ, b64, pubLine, privPath string
}

// genKey makes a real key with ssh-keygen, as Sugar does for DSA.
func genKey(t *testing.T, typ string) key {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	p := filepath.Join(t.TempDir(), "owner.key")
	out, err := exec.Command("ssh-keygen", "-q", "-t", typ, "-f", p, "-C", "", "-N", "").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -t %s: %v %s", typ, err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	return key{f[0], f[1], strings.TrimSpace(string(pub)), p}
}

// uidOf is the client id: sha1 of the bare base64 blob (spec §1.4).
func uidOf(b64 string) string {
	s := sha1.Sum([]byte(b64))
	return hex.EncodeToString(s[:])
}

func TestNormalizeKey(t *testing.T) {
	dsa, ed := genKey(t, "dsa"), genKey(t, "ed25519")
	for _, c := range []struct{ typ, blob string }{
		{"", dsa.b64},                        // Sugar's register: bare blob
		{"", "ssh-dss " + dsa.b64},           // SSK: "as-is"
		{"", " ssh-dss " + dsa.b64 + " c\n"}, // with comment and spaces
		{"ssh-dss", dsa.b64},
	} {
		typ, b64, err := NormalizeKey(c.typ, c.blob)
		if err != nil || typ != "ssh-dss" || b64 != dsa.b64 {
			t.Errorf("NormalizeKey(%q, %.30q) = %q, %.20q, %v", c.typ, c.blob, typ, b64, err)
		}
	}
	if typ, _, err := NormalizeKey("", ed.b64); err != nil || typ != "ssh-ed25519" {
		t.Errorf("ed25519: %q %v", typ, err)
	}
	bad := map[string][2]string{
		"empty key":            {"", "  "},
		"not base64":           {"", "AAAA!!!"},
		"does not parse":       {"", "AAAAB3NzaC1kc3MAAACB"},
		"disagrees":            {"ssh-rsa", "ssh-dss " + dsa.b64},
		"but is":               {"ssh-rsa", dsa.b64},
		"says \"ssh-ed25519\"": {"", "ssh-ed25519 " + dsa.b64},
		"bad key type":         {"", "ssh\"dss " + dsa.b64},
		"longer than":          {"", strings.Repeat("A", MaxBlobBytes+1)},
	}
	for why, c := range bad {
		if _, _, err := NormalizeKey(c[0], c[1]); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("NormalizeKey(%q, %.30q) error %v, want %q", c[0], c[1], err, why)
		}
	}
}

func TestLineAndGateCommand(t *testing.T) {
	dsa := genKey(t, "dsa")
	uid := uidOf(dsa.b64)
	l, err := Line(Entry{UID: uid, Blob: dsa.b64}, gate)
	if err != nil {
		t.Fatal(err)
	}
	want := `command="/usr/local/bin/aula backup-gate --uid ` + uid + `",restrict ssh-dss ` + dsa.b64 + " aula:" + uid
	if l != want {
		t.Fatalf("Line =\n%s\nwant\n%s", l, want)
	}
	if _, err := Line(Entry{UID: uid, Blob: dsa.b64}, "/opt/aula/bin/aula --config=/etc/aula/aula.conf"); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"aula", "", "/bin/aula; sh", `/bin/"x`, "/bin/a  b", "/bin/$(id)", "/bin/a\\b", "/bin/a\nb"} {
		if _, err := Line(Entry{UID: uid, Blob: dsa.b64}, g); err == nil {
			t.Errorf("gate command %q accepted", g)
		}
	}
	if _, err := Line(Entry{UID: strings.ToUpper(uid), Blob: dsa.b64}, gate); err == nil {
		t.Error("uppercase uid accepted")
	}
}

func TestRenderKeepsForeignLinesAndIsIdempotent(t *testing.T) {
	dsa, ed, rsa, admin := genKey(t, "dsa"), genKey(t, "ed25519"), genKey(t, "rsa"), genKey(t, "ed25519")
	existing := "# admin keys\n" + admin.pubLine + " admin@school\n\nno-pty " + rsa.pubLine + " ops\n"
	entries := []Entry{
		{UID: uidOf(dsa.b64), Blob: dsa.b64},
		{UID: uidOf(ed.b64), Blob: ed.pubLine + " laptop"},
		{UID: uidOf(dsa.b64), Blob: "ssh-dss " + dsa.b64},            // same registration twice
		{UID: strings.Repeat("1", 40), Blob: dsa.b64},                // someone else's key
		{UID: strings.Repeat("2", 40), Blob: rsa.b64},                // key of a foreign line
		{UID: strings.Repeat("3", 40), Blob: "AAAAB3NzaC1kc3MAAACB"}, // truncated
		{UID: "nothex", Blob: ed.b64},
	}
	out, skipped, err := Render([]byte(existing), entries, gate)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.String())
	}
	wantReasons := []string{
		strings.Repeat("1", 40) + ": key already registered for " + uidOf(dsa.b64),
		strings.Repeat("2", 40) + ": key is also in a line aula does not manage",
		strings.Repeat("3", 40) + ": key does not parse",
		"nothex: bad uid",
	}
	if len(reasons) != len(wantReasons) {
		t.Fatalf("skipped %q", reasons)
	}
	for i := range wantReasons {
		if !strings.HasPrefix(reasons[i], wantReasons[i]) {
			t.Errorf("skipped[%d] = %q, want prefix %q", i, reasons[i], wantReasons[i])
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	managed := []string{}
	for _, e := range []Entry{{UID: uidOf(dsa.b64), Blob: dsa.b64}, {UID: uidOf(ed.b64), Blob: ed.b64}} {
		l, _ := Line(e, gate)
		managed = append(managed, l)
	}
	slices.SortFunc(managed, func(a, b string) int {
		return strings.Compare(a[strings.LastIndex(a, ":"):], b[strings.LastIndex(b, ":"):])
	})
	want := append(strings.Split(strings.TrimSuffix(existing, "\n"), "\n"), BeginMarker)
	want = append(append(want, managed...), EndMarker)
	if !slices.Equal(lines, want) {
		t.Fatalf("rendered:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	again, _, err := Render(out, entries, gate)
	if err != nil || string(again) != string(out) {
		t.Fatalf("not idempotent:\n%s", again)
	}
	// Dropping a client removes its line only; the block keeps its place
	// even with foreign lines after it.
	moved := strings.Replace(string(out), EndMarker+"\n", EndMarker+"\n# after\n", 1)
	fewer, _, err := Render([]byte(moved), entries[1:2], gate)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(fewer), dsa.b64) || !strings.Contains(string(fewer), ed.b64) ||
		!strings.HasSuffix(string(fewer), EndMarker+"\n# after\n") || !strings.HasPrefix(string(fewer), "# admin keys\n") {
		t.Fatalf("after removal:\n%s", fewer)
	}
}

func TestWriteAtomicModeOwnerAndSshKeygen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authorized_keys")
	admin := genKey(t, "ed25519")
	if err := os.WriteFile(path, []byte(admin.pubLine+" admin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := []key{genKey(t, "dsa"), genKey(t, "ed25519"), genKey(t, "rsa"), genKey(t, "ecdsa")}
	var entries []Entry
	for i, k := range keys {
		blob := k.b64
		if i%2 == 1 {
			blob = k.pubLine
		}
		entries = append(entries, Entry{UID: uidOf(k.b64), Blob: blob})
	}
	var owner *Owner
	if os.Geteuid() == 0 {
		owner = &Owner{UID: 4321, GID: 4322}
	}
	skipped, err := Write(path, entries, gate, owner)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Write: %v %v", skipped, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if owner != nil {
		sys := st.Sys().(*syscall.Stat_t)
		if sys.Uid != 4321 || sys.Gid != 4322 {
			t.Errorf("owner %d:%d", sys.Uid, sys.Gid)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
	// ssh-keygen reads the file as sshd would and lists every key.
	out, err := exec.Command("ssh-keygen", "-l", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -lf: %v\n%s", err, out)
	}
	listed := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(listed) != 1+len(keys) {
		t.Fatalf("ssh-keygen listed %d keys:\n%s", len(listed), out)
	}
	for _, k := range append(keys, admin) {
		fp, err := exec.Command("ssh-keygen", "-l", "-f", k.privPath+".pub").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), strings.Fields(string(fp))[1]) {
			t.Errorf("fingerprint of the %s key missing from:\n%s", k.typ, out)
		}
	}
	got, err := Managed(path)
	if err != nil || len(got) != len(keys) {
		t.Fatalf("Managed: %v %v", got, err)
	}
	for _, e := range got {
		if e.UID != uidOf(e.Blob) {
			t.Errorf("managed entry %+v: uid is not sha1 of blob", e)
		}
	}
	// A symlink at the path is refused, its target untouched.
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("x\n"), 0o600)
	link := filepath.Join(dir, "linked")
	os.Symlink(target, link)
	if _, err := Write(link, entries, gate, nil); err == nil {
		t.Fatal("Write followed a symlink")
	}
	if b, _ := os.ReadFile(target); string(b) != "x\n" {
		t.Fatal("symlink target changed")
	}
}

func FuzzNormalizeKey(f *testing.F) {
	for _, s := range []string{"AAAAC3NzaC1lZDI1NTE5AAAAIHq0", "ssh-dss AAAAB3NzaC1kc3MAAACB", "", "ssh-rsa x y z",
		"AAAAC3NzaC1lZDI1NTE5AAAAIGQaFVhn8+p2oYvVxnJv0Bo1wD6X4g9A1JbHxUy0b1lq"} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, typ, blob string) {
		gotType, b64, err := NormalizeKey(typ, blob)
		if err != nil {
			return
		}
		// Whatever passes renders into a line that parses back the same.
		line, err := Line(Entry{UID: strings.Repeat("a", 40), KeyType: typ, Blob: blob}, gate)
		if err != nil {
			t.Fatalf("NormalizeKey ok but Line: %v", err)
		}
		m := managedLineRegexp.FindStringSubmatch(line)
		if m == nil || m[1] != gotType || m[2] != b64 || strings.ContainsAny(line, "\n\r") {
			t.Fatalf("line %q does not round-trip", line)
		}
	})
}
