package authkeys

import (
	"crypto/ed25519"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// BenchmarkRender renders the file of a school of 20,000 clients over the
// file it wrote before, with one client new: what the server does for
// every batch of registrations the id module applies (modules/backup,
// keySync.rewrite). Reported per client line.
func BenchmarkRender(b *testing.B) {
	entries, err := benchEntries()
	if err != nil {
		b.Fatal(err)
	}
	before, _, err := Render([]byte("# the admin's own line\n"), entries[:benchClients], gate)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Render(before, entries, gate); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchClients, "ns/line")
}

const benchClients = 20000

// benchEntries makes benchClients+1 clients with ed25519 keys, once: the
// benchmark function runs several times, and 20,000 keys take most of a
// second to make.
var benchEntries = sync.OnceValues(func() ([]Entry, error) {
	entries := make([]Entry, benchClients+1)
	for i := range entries {
		var seed [ed25519.SeedSize]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
		if err != nil {
			return nil, err
		}
		blob := pub.Marshal()
		sum := sha1.Sum(blob)
		entries[i] = Entry{UID: hex.EncodeToString(sum[:]), Blob: base64.StdEncoding.EncodeToString(blob)}
	}
	return entries, nil
})
