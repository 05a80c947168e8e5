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
	"testing"

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

func BenchmarkParsePubKey(b *testing.B) {
	for name, key := range benchKeys(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePubKey(key); err != nil {
					b.Fatal(err)
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
// call, callers in parallel so the store commits them in groups.
func BenchmarkRegisterHTTP(b *testing.B) {
	h, err := boot(b.TempDir()+"/data", testArgs...)
	if err != nil {
		b.Fatal(err)
	}
	defer h.close()
	handler := h.srv.Config.Handler
	key := benchKeys(b)["ed25519"]
	raw, _ := base64.StdEncoding.DecodeString(key)
	var n atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		blob := bytes.Clone(raw)
		for pb.Next() {
			i := n.Add(1)
			copy(blob[len(blob)-8:], fmt.Sprintf("%08x", i)) // a distinct (valid) ed25519 key
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
