package integration

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"aula/internal/store"
	"aula/modules/id"
)

// laptopKey is a valid ed25519 key blob for laptop n (any 32 bytes are an
// ed25519 public key), base64 as the Sugar shell sends it.
func laptopKey(n int) string {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(n))
	pub := sha256.Sum256(seed[:])
	b := binary.BigEndian.AppendUint32(nil, 11)
	b = append(b, "ssh-ed25519"...)
	b = binary.BigEndian.AppendUint32(b, 32)
	b = append(b, pub[:]...)
	return base64.StdEncoding.EncodeToString(b)
}

// registerThenKill registers laptops at url from 16 Sugar-like clients
// until at least 300 are answered OK, kills the server with SIGKILL
// mid-storm and returns the laptops answered OK (by number: serial
// SHF%08X, laptopKey(n)).
func registerThenKill(t *testing.T, s *server, url string) []int {
	t.Helper()
	var mu sync.Mutex
	var acked []int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10000 {
				select {
				case <-stop:
					return
				default:
				}
				n := w*10000 + i
				v, err := xmlrpcCall(client, url, "register", fmt.Sprintf("SHF%08X", n), "nick",
					fmt.Sprintf("%08x-0000-4000-8000-000000000000", n), laptopKey(n))
				if err != nil {
					return // the server is gone
				}
				if m, ok := v.(map[string]any); ok && m["success"] == "OK" {
					mu.Lock()
					acked = append(acked, n)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, "300 registrations", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 300
	})
	s.kill()
	close(stop)
	wg.Wait()
	return acked
}

// TestRegistrationsSurviveSIGKILL registers laptops from 16 Sugar-like
// clients, kills the server with SIGKILL mid-storm (registrations then
// sit in the journal, not yet applied), restarts it, and checks that every
// registration answered OK is registered.
func TestRegistrationsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server")
	}
	// One source address plays 16 laptops: lift the per-address limit.
	s := startServer(t, "", "--auth-anon-rate=1000000", "--auth-anon-burst=1000000")
	acked := registerThenKill(t, s, s.url())

	// What the kill left unapplied is in the journal; the restart must
	// apply it before answering.
	db, err := store.Open(context.Background(), store.Options{Dir: s.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	var pending int
	err = db.Reader().QueryRow(unappliedJournal).Scan(&pending)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d registrations in the journal at the kill", pending)

	s.start()
	client := &http.Client{Timeout: 5 * time.Second}
	for _, n := range acked {
		resp, err := client.Get(s.url() + "client/status?uid=" + id.UIDOf(laptopKey(n)))
		if err != nil {
			t.Fatal(err)
		}
		var st map[string]any
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || st["registered"] != true {
			t.Fatalf("laptop %d was told OK before the kill but is not registered after the restart: %v %v", n, st, err)
		}
	}
	t.Logf("%d acknowledged registrations, all registered after SIGKILL and restart", len(acked))
}
