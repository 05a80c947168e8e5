// Package password hashes and verifies passwords with Argon2id, stored in
// the PHC string format that libsodium, the argon2 CLI and Python's
// argon2-cffi also use:
//
//	$argon2id$v=19$m=16384,t=1,p=1$<salt>$<hash>
//
// salt and hash are unpadded standard base64. Each hash carries its own
// parameters, so Default can be raised later: old hashes still verify, and
// NeedsRehash tells the caller to store a new hash at the next good login.
//
// Each Hash or Verify allocates Params.Memory KiB for its duration; a
// server must bound how many run at once (and throttle failed logins).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the Argon2id cost parameters and output sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default costs about 50 ms on the 2-core development machine (measured
// with BenchmarkHashDefault). RFC 9106 prefers more memory to more passes
// for Argon2id, hence t=1.
var Default = Params{Memory: 16 << 10, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Cheap is for tests only: valid Argon2id, but no protection at all.
var Cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, for Hash and for hashes read back from storage
// (a corrupted or planted hash must not make Verify allocate gigabytes).
const (
	MaxPasswordLen = 4096
	MaxEncodedLen  = 256
	maxMemory      = 1 << 20 // KiB (1 GiB)
	maxTime        = 64
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
)

// ErrTooLong is returned by Hash for passwords over MaxPasswordLen bytes.
var ErrTooLong = fmt.Errorf("password longer than %d bytes", MaxPasswordLen)

func (p Params) validate() error {
	switch {
	case p.Threads == 0:
		return errors.New("argon2id parallelism p must be at least 1")
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("argon2id memory m=%d KiB below the minimum 8*p=%d", p.Memory, 8*uint32(p.Threads))
	case p.Memory > maxMemory:
		return fmt.Errorf("argon2id memory m=%d KiB above the limit %d", p.Memory, maxMemory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id time t=%d outside 1..%d", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d outside %d..%d bytes", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("hash length %d outside %d..%d bytes", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// Hash returns the PHC string of password under p with a fresh random salt.
func Hash(password string, p Params) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", ErrTooLong
	}
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encode(p, salt, key), nil
}

// Verify reports whether password matches the PHC string encoded. The
// error is non-nil only when encoded is malformed (a storage problem, not
// a wrong password). The comparison is constant-time.
func Verify(password, encoded string) (bool, error) {
	p, salt, want, err := Decode(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		return false, nil // Hash never accepted it, so it matches nothing
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is a valid Default hash of a random password, so that
// DummyVerify does exactly the work of a real Verify.
var dummyHash = sync.OnceValue(func() string {
	h, err := Hash(base64.RawStdEncoding.EncodeToString(randomBytes(16)), Default)
	if err != nil {
		panic(err)
	}
	return h
})

// DummyVerify costs what Verify costs with Default parameters and always
// fails. Call it when the user does not exist, so that response time does
// not reveal which user names are valid.
func DummyVerify(password string) {
	Verify(password, dummyHash())
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// NeedsRehash reports whether encoded was made with parameters other than
// p (or is unreadable), so the caller should store Hash(password, p) after
// the next successful Verify.
func NeedsRehash(encoded string, p Params) bool {
	got, salt, key, err := Decode(encoded)
	if err != nil {
		return true
	}
	return got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads ||
		uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen
}
