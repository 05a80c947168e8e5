package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"
	"time"

	"aula/internal/auth/password"
	"aula/internal/core"
)

const (
	// verifiedTTL is how long a verified (user, password, stored hash)
	// triple is remembered. HTTP Basic sends the password with every
	// request; without the memory each call would cost an argon2id hash.
	verifiedTTL = 10 * time.Minute
	// maxVerified bounds the memory.
	maxVerified = 4096
)

// verifier checks passwords against stored argon2id hashes. It bounds how
// many hashes run at once (each takes Params.Memory KiB) and remembers
// recent successes under an HMAC with a per-process random key, so a
// keep-alive client sending Basic credentials pays for one hash, not one
// per call. The remembered key covers the stored hash too: a password
// change or a removed user (no stored hash) is never served from memory.
type verifier struct {
	params password.Params
	key    [32]byte
	sem    chan struct{}

	mu   sync.Mutex
	seen map[[32]byte]time.Time // mac -> expiry
}

func newVerifier(p password.Params) *verifier {
	v := &verifier{params: p, sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))), seen: map[[32]byte]time.Time{}}
	if _, err := rand.Read(v.key[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return v
}

func (v *verifier) mac(user, pw, stored string) [32]byte {
	h := hmac.New(sha256.New, v.key[:])
	for _, s := range []string{user, pw, stored} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// check reports whether pw is user's password. stored is the user's hash,
// "" when there is no such user (a dummy hash is then computed, so timing
// does not tell which names exist).
func (v *verifier) check(ctx context.Context, user, pw, stored string) (bool, error) {
	var mac [32]byte
	if stored != "" {
		mac = v.mac(user, pw, stored)
		v.mu.Lock()
		exp, ok := v.seen[mac]
		v.mu.Unlock()
		if ok && time.Now().Before(exp) {
			return true, nil
		}
	}
	select {
	case v.sem <- struct{}{}:
	case <-ctx.Done():
		return false, core.Wrap(core.KindUnavailable, ctx.Err(), "login abandoned")
	}
	defer func() { <-v.sem }()
	if stored == "" {
		password.DummyVerify(pw)
		return false, nil
	}
	ok, err := password.Verify(pw, stored)
	if err != nil {
		return false, core.Wrap(core.KindInternal, err, "stored password hash of "+user+" is unreadable")
	}
	if ok {
		v.remember(mac)
	}
	return ok, nil
}

func (v *verifier) remember(mac [32]byte) {
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.seen) >= maxVerified {
		for k, exp := range v.seen {
			if now.After(exp) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= maxVerified {
			clear(v.seen) // a flood of distinct good logins: start over
		}
	}
	v.seen[mac] = now.Add(verifiedTTL)
}

// hash makes a new stored hash for pw.
func (v *verifier) hash(pw string) (string, error) {
	if len(pw) > password.MaxPasswordLen {
		return "", core.Errorf(core.KindInvalid, "password longer than %d bytes", password.MaxPasswordLen)
	}
	h, err := password.Hash(pw, v.params)
	if err != nil {
		return "", core.Wrap(core.KindInternal, err, "cannot hash password")
	}
	return h, nil
}
