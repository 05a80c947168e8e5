package id

import "math/bits"

// SSH mpints (RFC 4251 §5) read in place: big-endian two's complement of
// any length, so leading 0x00 (or, for negatives, 0xff) bytes are allowed
// and the empty string is zero. x/crypto turns each into a big.Int
// accepting all of that, so the helpers below compute what its checks ask
// of the big.Int (BitLen, Sign, Cmp, Int64) from the bytes, negatives
// included: a key with a negative DSA sub-prime or RSA modulus parses
// there, so it must parse here.

func mpNegative(m []byte) bool { return len(m) > 0 && m[0]&0x80 != 0 }

// mpSign is big.Int.Sign.
func mpSign(m []byte) int {
	if mpNegative(m) {
		return -1
	}
	for _, b := range m {
		if b != 0 {
			return 1
		}
	}
	return 0
}

// mpBitLen is big.Int.BitLen: the length of the absolute value in bits.
func mpBitLen(m []byte) int {
	if !mpNegative(m) {
		for len(m) > 0 && m[0] == 0 {
			m = m[1:]
		}
		if len(m) == 0 {
			return 0
		}
		return 8*(len(m)-1) + bits.Len8(m[0])
	}
	// |m| = ^m + 1. Let d = ^m without its leading zero bytes (m's
	// leading 0xff bytes): |m| has d's length, one bit more when adding
	// 1 carries out of it, which is when d is all ones (2^k - 1).
	for len(m) > 0 && m[0] == 0xff {
		m = m[1:]
	}
	if len(m) == 0 {
		return 1 // m was -1
	}
	d0 := ^m[0]
	n := 8*(len(m)-1) + bits.Len8(d0)
	if d0&(d0+1) != 0 {
		return n
	}
	for _, b := range m[1:] {
		if b != 0 { // ^b != 0xff
			return n
		}
	}
	return n + 1
}

// mpCmp is big.Int.Cmp. Numbers of one sign compare as their
// two's-complement bytes once the shorter is sign-extended to the
// longer's length.
func mpCmp(a, b []byte) int {
	na, nb := mpNegative(a), mpNegative(b)
	switch {
	case na && !nb:
		return -1
	case nb && !na:
		return 1
	}
	var ext byte
	if na {
		ext = 0xff
	}
	n := max(len(a), len(b))
	for i := range n {
		x, y := ext, ext
		if j := i - (n - len(a)); j >= 0 {
			x = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			y = b[j]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// mpSmall is big.Int.Int64 for a number of at most 24 bits (callers check
// mpBitLen first): negative numbers come out negative.
func mpSmall(m []byte) int64 {
	if len(m) == 0 {
		return 0
	}
	var v int64
	if mpNegative(m) {
		v = -1
	}
	for _, b := range m {
		v = v<<8 | int64(b)
	}
	return v
}
