package id

import (
	"math/big"
	"testing"
)

// bigOfMPInt is x/crypto's reading of an SSH mpint (ssh.parseInt).
func bigOfMPInt(m []byte) *big.Int {
	out := new(big.Int)
	if len(m) > 0 && m[0]&0x80 != 0 {
		not := make([]byte, len(m))
		for i := range not {
			not[i] = ^m[i]
		}
		out.SetBytes(not)
		out.Add(out, big.NewInt(1))
		return out.Neg(out)
	}
	return out.SetBytes(m)
}

// FuzzMPIntMatchesBig holds the in-place mpint helpers to math/big, which
// x/crypto's key checks use.
func FuzzMPIntMatchesBig(f *testing.F) {
	for _, m := range [][]byte{nil, {0}, {0xff}, {0x80}, {0x7f}, {0xff, 0}, {0xff, 0xff}, {0x80, 0, 0}, {0, 0x80},
		{0, 0, 1}, {0xff, 0x7f, 0xff}, {0xfe, 0, 0}, {0xc0, 0}, {1, 0, 1}} {
		f.Add(m, []byte{0x80, 1})
		f.Add(m, m)
		f.Add(m, append([]byte{0}, m...))
		f.Add(m, append([]byte{0xff}, m...))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		x, y := bigOfMPInt(a), bigOfMPInt(b)
		if got, want := mpBitLen(a), x.BitLen(); got != want {
			t.Errorf("mpBitLen(%x) = %d, big %d", a, got, want)
		}
		if got, want := mpSign(a), x.Sign(); got != want {
			t.Errorf("mpSign(%x) = %d, big %d", a, got, want)
		}
		if got, want := mpCmp(a, b), x.Cmp(y); got != want {
			t.Errorf("mpCmp(%x, %x) = %d, big %d", a, b, got, want)
		}
		if x.BitLen() <= 24 {
			if got, want := mpSmall(a), x.Int64(); got != want {
				t.Errorf("mpSmall(%x) = %d, big %d", a, got, want)
			}
		}
	})
}
