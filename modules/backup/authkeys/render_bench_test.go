package authkeys

import (
	"crypto/ed25519"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// BenchmarkRender renders the file of a school of 20,000 clients over the
// file it wrote before, with one client new: what the server does for
// every batch of registrations the id module applies (modules/backup,
// keySync.rewrite). Reported per client line.
func BenchmarkRender(b *testing.B) {
	const clients = 20000
	entries := make([]Entry, clients+1)
	for i := range entries {
		var seed [ed25519.SeedSize]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
		if err != nil {
			b.Fatal(err)
		}
		blob := pub.Marshal()
		sum := sha1.Sum(blob)
		entries[i] = Entry{UID: hex.EncodeToString(sum[:]), Blob: base64.StdEncoding.EncodeToString(blob)}
	}
	before, _, err := Render([]byte("# the admin's own line\n"), entries[:clients], gate)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, _, err := Render(before, entries, gate); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/clients, "ns/line")
}
