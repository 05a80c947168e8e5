package id

import (
	"bytes"
	"crypto/dsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"aula/internal/wire/xmlrpc"
)

// The pieces of a registration, each on its own, so that a change to one
// shows here before it shows (with noise) in bench/idbench.

func benchKeys(b *testing.B) map[string]string {
	b.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	ek, err := ssh.NewPublicKey(pub)
	if err != nil {
		b.Fatal(err)
	}
	var params dsa.Parameters
	if err := dsa.GenerateParameters(&params, rand.Reader, dsa.L1024N160); err != nil {
		b.Fatal(err)
	}
	priv := dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: params}}
	if err := dsa.GenerateKey(&priv, rand.Reader); err != nil {
		b.Fatal(err)
	}
	dk, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]string{
		"ed25519": base64.StdEncoding.EncodeToString(ek.Marshal()),
		"dsa":     base64.StdEncoding.EncodeToString(dk.Marshal()),
	}
}

// BenchmarkParsePubKey runs the hand-written parser beside x/crypto's
// (xcryptoParsePubKey, the fuzz reference): the hand-written one stays
// only while it saves more than 5% of a registration's CPU
// (BenchmarkRegisterHTTP's cpu-ns/op); docs/BENCHMARKS.md has the figures.
func BenchmarkParsePubKey(b *testing.B) {
	for name, key := range benchKeys(b) {
		b.Run("hand/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePubKey(key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("xcrypto/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := xcryptoParsePubKey(key); !ok {
					b.Fatal("x/crypto refused the key")
				}
			}
		})
	}
}

func BenchmarkCheckRegistration(b *testing.B) {
	key := benchKeys(b)["dsa"]
	in := ClientArgs{UUID: "b3fda1c2-5bd4-4f8e-9e4f-0123456789ab", Serial: "SHF706002A7", Nickname: "Pepe", PubKey: key}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := checkRegistration(in, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegisterHTTP is the whole server side of a durable XML-RPC
// registration without the network: the real handler, a new laptop per
// call, callers in parallel so the store commits them in groups. The dsa
// case is what an XO sends; ed25519 what newer clients send.
func BenchmarkRegisterHTTP(b *testing.B) {
	keys := benchKeys(b)
	for _, name := range []string{"ed25519", "dsa"} {
		b.Run(name, func(b *testing.B) { benchRegisterHTTP(b, keys[name]) })
	}
}

func benchRegisterHTTP(b *testing.B, key string) {
	h, err := boot(b.TempDir()+"/data", testArgs...)
	if err != nil {
		b.Fatal(err)
	}
	defer h.close()
	handler := h.srv.Config.Handler
	raw, _ := base64.StdEncoding.DecodeString(key)
	var n atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(16)
	cpu0 := processCPU()
	defer func() {
		// CPU per registration: what the parser's share is measured
		// against, steadier than wall time on a shared machine.
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		blob := bytes.Clone(raw)
		for pb.Next() {
			i := n.Add(1)
			copy(blob[len(blob)-8:], fmt.Sprintf("%08x", i)) // a distinct key that parses (the last bytes of ed25519's point or DSA's y)
			body, err := xmlrpc.AppendCall(nil, "register", []any{fmt.Sprintf("BEN%08X", i), "bench",
				fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i), base64.StdEncoding.EncodeToString(blob)})
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/RPC2", bytes.NewReader(body))
			req.Header.Set("Content-Type", "text/xml")
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), "<string>OK</string>") {
				b.Fatalf("reply: %s", rec.Body)
			}
		}
	})
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSerialHolder is the check every registration with a serial
// makes (moves.go): with everything folded, and with the registrations
// still pending in the journal.
func BenchmarkSerialHolder(b *testing.B) {
	h, err := boot(b.TempDir()+"/data", testArgs...)
	if err != nil {
		b.Fatal(err)
	}
	defer h.close()
	key := benchKeys(b)["ed25519"]
	raw, _ := base64.StdEncoding.DecodeString(key)
	const n = 1000
	for i := range n {
		blob := bytes.Clone(raw)
		copy(blob[len(blob)-8:], fmt.Sprintf("%08x", i))
		c := Client{UID: UIDOf(base64.StdEncoding.EncodeToString(blob)), UUID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			Serial: fmt.Sprintf("BEN%08X", i), PubKey: base64.StdEncoding.EncodeToString(blob), LastRegistered: time.Now()}
		if err := h.mod.recs.appendRegistration(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok, err := h.mod.recs.serialHolder(b.Context(), fmt.Sprintf("BEN%08X", i%n)); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
	}
	b.Run("pending", run)
	if err := h.mod.recs.fold(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Run("folded", run)
}
