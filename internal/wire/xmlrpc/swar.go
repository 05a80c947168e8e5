package xmlrpc

// Eight bytes at a time: the text scans (appendText, fastScanner.text)
// first skip whole words of certainly plain bytes — printable ASCII other
// than the few each scan must stop at — and look at what follows byte by
// byte, as before. The word tests are exact when no byte of the word is
// one they look for; otherwise they still stop the skip (a borrow may
// also flag the byte after), so the byte loop sees every byte that
// matters. TestPlainRuns checks them against a byte-by-byte definition.

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZeroByte reports whether some byte of w is zero.
func hasZeroByte(w uint64) bool { return (w-lows)&^w&highs != 0 }

// hasControl reports whether some byte of w is below 0x20 or above 0x7F.
func hasControl(w uint64) bool { return w&highs != 0 || (w-lows*0x20)&^w&highs != 0 }

// load64 reads the 8 bytes of s at i, little-endian (one load on amd64).
func load64[T string | []byte](s T, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// markupRun is how many leading bytes of s, in whole words, are printable
// ASCII other than & < >: what appendText copies unchanged.
func markupRun(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		if hasControl(w) || hasZeroByte(w^lows*'&') || hasZeroByte(w^lows*'<') || hasZeroByte(w^lows*'>') {
			break
		}
	}
	return i
}

// textRun is how many leading bytes of b, in whole words, are printable
// ASCII other than & and ]: what fastScanner.text accepts without a
// second look.
func textRun(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := load64(b, i)
		if hasControl(w) || hasZeroByte(w^lows*'&') || hasZeroByte(w^lows*']') {
			break
		}
	}
	return i
}
