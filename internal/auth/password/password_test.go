package password

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The reference implementation's own test vector (phc-winner-argon2
// test.c, Argon2id v=19, t=2, m=65536, p=1), also what `argon2` prints.
const refVector = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

func TestReferenceVector(t *testing.T) {
	ok, err := Verify("password", refVector)
	if err != nil || !ok {
		t.Fatalf("Verify(reference vector) = %v, %v", ok, err)
	}
	if ok, _ := Verify("Password", refVector); ok {
		t.Fatal("wrong password verified")
	}
}

func TestHashVerify(t *testing.T) {
	for _, pw := range []string{"", "hunter2", "pa:ss w\u00f6rd", strings.Repeat("x", MaxPasswordLen)} {
		h, err := Hash(pw, Cheap)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash %q", h)
		}
		if ok, err := Verify(pw, h); !ok || err != nil {
			t.Errorf("Verify(own hash of %q) = %v, %v", pw, ok, err)
		}
		if ok, err := Verify(pw+"x", h); ok || err != nil {
			t.Errorf("Verify(wrong) = %v, %v", ok, err)
		}
	}
	a, _ := Hash("same", Cheap)
	b, _ := Hash("same", Cheap)
	if a == b {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if _, err := Hash(strings.Repeat("x", MaxPasswordLen+1), Cheap); err != ErrTooLong {
		t.Errorf("over-long password: %v", err)
	}
	if ok, err := Verify(strings.Repeat("x", MaxPasswordLen+1), a); ok || err != nil {
		t.Errorf("Verify(over-long) = %v, %v", ok, err)
	}
}

func TestDefaultHashes(t *testing.T) {
	h, err := Hash("pw", Default)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify("pw", h); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if NeedsRehash(h, Default) || !NeedsRehash(h, Cheap) || !NeedsRehash("garbage", Default) {
		t.Error("NeedsRehash wrong")
	}
	DummyVerify("pw") // must not panic
}

func TestHashRejectsBadParams(t *testing.T) {
	bad := []Params{
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 7, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 2 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	}
	for _, p := range bad {
		if _, err := Hash("x", p); err == nil {
			t.Errorf("Hash with %+v accepted", p)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	salt, hash := "c29tZXNhbHQ", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	tests := []struct{ enc, want string }{
		{"", "want 5 '$'-separated fields"},
		{"argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash, "want 5"},
		{"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + hash, `algorithm "argon2i"`},
		{"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + hash, `version "16"`},
		{"$argon2id$m=64,t=1,p=1$" + salt + "$" + hash, "got 4"},
		{"$argon2id$19$m=64,t=1,p=1$" + salt + "$" + hash, "want v=19"},
		{"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + hash, "want m=NUMBER"},
		{"$argon2id$v=19$m=64,t=1$" + salt + "$" + hash, "want m=..,t=..,p=.."},
		{"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + hash, "leading zero"},
		{"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + hash, "not a decimal number"},
		{"$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + hash, "out of range"},
		{"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + hash, "above the limit"},
		{"$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + hash, "above 255"},
		{"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + hash, "time t=0"},
		{"$argon2id$v=19$m=64,t=1,p=1$" + salt + "=$" + hash, "salt is not unpadded base64"},
		{"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash + "=", "hash is not unpadded base64"},
		{"$argon2id$v=19$m=64,t=1,p=1$c29t$" + hash, "salt length 3"},
		{"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c29tZXNhbHQ", "hash length 8"},
		{"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 300), "longer than"},
	}
	for _, tt := range tests {
		ok, err := Verify("password", tt.enc)
		if ok || err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "malformed argon2id hash: ") {
			t.Errorf("Verify(%q) = %v, %v; want error containing %q", tt.enc, ok, err, tt.want)
		}
	}
}

// The argon2 command-line tool (Debian package argon2, the reference
// implementation) must produce the same PHC string as our encoder.
func TestAgainstArgon2CLI(t *testing.T) {
	cli, err := exec.LookPath("argon2")
	if err != nil {
		t.Skip("argon2 CLI not installed (apt-get install argon2)")
	}
	for _, c := range []struct {
		pw, salt string
		p        Params
	}{
		{"pa ss:w\u00f6rd", "somesaltsomesalt", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}},
		{"x", "12345678", Params{Memory: 256, Time: 3, Threads: 2, KeyLen: 16}},
	} {
		cmd := exec.Command(cli, c.salt, "-id", "-e", "-t", itoa(c.p.Time), "-k", itoa(c.p.Memory),
			"-p", itoa(uint32(c.p.Threads)), "-l", itoa(c.p.KeyLen))
		cmd.Stdin = strings.NewReader(c.pw)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("argon2: %v", err)
		}
		key := argon2.IDKey([]byte(c.pw), []byte(c.salt), c.p.Time, c.p.Memory, c.p.Threads, c.p.KeyLen)
		ours := encode(c.p, []byte(c.salt), key)
		if got := strings.TrimSpace(string(out)); got != ours {
			t.Errorf("argon2 CLI %q, ours %q", got, ours)
		}
		if ok, err := Verify(c.pw, strings.TrimSpace(string(out))); !ok || err != nil {
			t.Errorf("Verify(CLI hash) = %v, %v", ok, err)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func FuzzDecode(f *testing.F) {
	f.Add(refVector)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=064,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, enc string) {
		p, salt, key, err := Decode(enc)
		if err != nil {
			return
		}
		if p.validate() != nil || p.Memory > maxMemory {
			t.Fatalf("accepted invalid params %+v", p)
		}
		if again := encode(p, salt, key); again != enc {
			t.Fatalf("not canonical: %q re-encodes as %q", enc, again)
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		Hash("correct horse battery staple", Default)
	}
}
