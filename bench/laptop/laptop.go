// Package laptop makes the Sugar shell's register calls of distinct bench
// laptops: laptop n has a serial, a uuid and an ed25519 public key of its
// own (any 32 bytes are a valid key for the SSH parser, so no key
// generation is timed). The in-process driver (bench/idbench) and the wrk
// script (bench/wrk) register the same laptops.
package laptop

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Fields are laptop n's register arguments: serial, nickname, uuid and
// public key (base64 of the ssh-ed25519 blob).
func Fields(n uint64) (serial, nick, uuid, key string) {
	b := appendFields(make([]byte, 0, 160), n)
	s := string(b)
	var f [4]string
	for i, start := 0, 0; i < 4; i++ {
		end := start
		for end < len(s) && s[end] != '\t' {
			end++
		}
		f[i], start = s[start:end], end+1
	}
	return f[0], f[1], f[2], f[3]
}

// appendFields appends laptop n's four fields, tab-separated.
func appendFields(b []byte, n uint64) []byte {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], n)
	pub := sha256.Sum256(seed[:])
	var blob [51]byte
	k := binary.BigEndian.AppendUint32(blob[:0], 11)
	k = append(k, "ssh-ed25519"...)
	k = binary.BigEndian.AppendUint32(k, 32)
	k = append(k, pub[:]...)
	b = append(b, "BEN"...)
	b = appendHex(b, n&0xffffffff, 8)
	b = append(b, "\tbench "...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, '\t')
	b = appendHex(b, n>>32, 8)
	b = append(b, "-0000-4000-8000-"...)
	b = appendHex(b, n&0xffffffffffff, 12)
	b = append(b, '\t')
	return base64.StdEncoding.AppendEncode(b, k)
}

// Register returns laptop n's XML-RPC register call and its key. It is
// built with appends because the in-process driver makes one per call in
// the same process as the server it measures.
func Register(n uint64) (body []byte, key string) {
	serial, nick, uuid, key := Fields(n)
	body = make([]byte, 0, 640)
	body = append(body, CallHead...)
	body = append(body, serial...)
	body = append(body, CallSep...)
	body = append(body, nick...)
	body = append(body, CallSep...)
	body = append(body, uuid...)
	body = append(body, CallSep...)
	body = append(body, key...)
	body = append(body, CallTail...)
	return body, key
}

// The register call around its four string arguments, as the Sugar
// shell's xmlrpclib writes it.
const (
	CallHead = "<?xml version='1.0'?>\n<methodCall>\n<methodName>register</methodName>\n<params>\n<param>\n<value><string>"
	CallSep  = "</string></value>\n</param>\n<param>\n<value><string>"
	CallTail = "</string></value>\n</param>\n</params>\n</methodCall>\n"
)

// appendHex appends v as digits uppercase hex digits, zero-padded.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
}
