package backup

import (
	"context"
	"encoding/base64"
	"testing"
)

// TestBackupLogin: a laptop logs in as its serial with the key it
// registered, or as an account name by key alone; nothing else passes.
func TestBackupLogin(t *testing.T) {
	h := newHarness(t, t.TempDir()+"/data", false)
	a, b := h.register(1), h.register(2)
	keyA, _ := base64.StdEncoding.DecodeString(a.PubKey)
	keyB, _ := base64.StdEncoding.DecodeString(b.PubKey)
	stranger, _ := base64.StdEncoding.DecodeString(newKey(t))
	ctx := context.Background()
	for _, tc := range []struct {
		login string
		key   []byte
		want  string
	}{
		{a.Serial, keyA, a.UID},
		{b.Serial, keyB, b.UID},
		{"aulabackup", keyA, a.UID},
		{"aula-backup", keyB, b.UID},
		{a.Serial, keyB, ""},
		{a.Serial, stranger, ""},
		{"aulabackup", stranger, ""},
		{"SHF00000000", keyA, ""}, // the placeholder names no laptop
		{"SHF99999999", keyA, ""},
		{"shf00000001", keyA, a.UID}, // lower case: an account name, so the key decides
		{"", keyA, ""},
		{"root@x", keyA, ""},
		{a.Serial, nil, ""},
		{a.Serial, keyA[:len(keyA)-1], ""},
	} {
		uid, ok, err := h.mod.BackupLogin(ctx, tc.login, tc.key)
		if err != nil || ok != (tc.want != "") || uid != tc.want {
			t.Errorf("BackupLogin(%q, key of len %d) = %q %v %v, want %q", tc.login, len(tc.key), uid, ok, err, tc.want)
		}
	}
}

// FuzzBackupLogin: arbitrary logins and key bytes never authenticate
// except as the registered laptop's serial or an account name with its
// exact key, and never fail with an error.
func FuzzBackupLogin(f *testing.F) {
	h, err := boot(f.TempDir() + "/data")
	if err != nil {
		f.Fatal(err)
	}
	h.t = f
	f.Cleanup(func() { h.db.Close() })
	a := h.register(1)
	keyA, _ := base64.StdEncoding.DecodeString(a.PubKey)
	f.Add(a.Serial, keyA)
	f.Add("aulabackup", keyA)
	f.Add("SHF00000000", keyA)
	f.Add("", []byte{})
	f.Add("\x00\xff", []byte("ssh-dss"))
	f.Fuzz(func(t *testing.T, login string, key []byte) {
		uid, ok, err := h.mod.BackupLogin(context.Background(), login, key)
		if err != nil {
			t.Fatalf("BackupLogin(%q): %v", login, err)
		}
		if !ok {
			return
		}
		if uid != a.UID || string(key) != string(keyA) || (login != a.Serial && !accountLogin.MatchString(login)) {
			t.Fatalf("BackupLogin(%q, %x) let in %q", login, key, uid)
		}
	})
}
