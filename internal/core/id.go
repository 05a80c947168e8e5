package core

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
)

// Request ids only correlate a reply, an audit record and log lines, so
// they need to be unique and not obviously sequential, not secret. Reading
// crypto/rand for each one cost more than the rest of the chain, so an id
// is a process-wide counter passed through a bijection on 48 bits keyed at
// start-up: unique within the process for 2^48 calls (random ids collided
// after about 2^24), unrelated across restarts, and in the same form as
// before (12 lowercase hex digits).

const idBits = 48

var (
	idCounter atomic.Uint64
	idKey     = func() (k [2]uint64) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
	}()
)

// NewID returns a short request id, unique within the process.
func NewID() string {
	x := scrambleID(idCounter.Add(1))
	const digits = "0123456789abcdef"
	var b [idBits / 4]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[x&0xF]
		x >>= 4
	}
	return string(b[:])
}

// scrambleID is a keyed permutation of the 48-bit numbers: each step
// (adding or xoring a constant, multiplying by an odd number, xoring with
// the value shifted right) is invertible modulo 2^48, so distinct counters
// give distinct ids.
func scrambleID(n uint64) uint64 {
	const mask = 1<<idBits - 1
	x := (n + idKey[0]) & mask
	x = x * 0x9E3779B97F4B & mask
	x ^= x >> 23
	x ^= idKey[1] & mask
	x = x * 0xBF58476D1CE5 & mask
	x ^= x >> 25
	x = x * 0x94D049BB1331 & mask
	x ^= x >> 24
	return x
}
