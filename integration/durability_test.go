package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"aula/internal/store"
	"aula/internal/wire/xmlrpc"
)

// xmlrpcCall is a minimal Go XML-RPC client for load-style tests.
func xmlrpcCall(client *http.Client, url, method string, params ...any) (any, error) {
	var body bytes.Buffer
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	resp, err := client.Post(url, "text/xml", &body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return xmlrpc.DecodeResponse(resp.Body, 1<<20)
}

// TestDurabilityUnderSIGKILL writes concurrently through XML-RPC, kills the
// server with SIGKILL mid-load, restarts it, and checks that every write
// that was acknowledged survived and the database is intact. Three rounds.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server several times")
	}
	s := startServer(t, "")
	url := s.adminURL() // datastore.* are admin methods
	var acked []string
	for round := 0; round < 3; round++ {
		ackedNow := loadAndKill(t, s, url, round)
		if len(ackedNow) == 0 {
			t.Fatalf("round %d: no write was acknowledged before the kill", round)
		}
		acked = append(acked, ackedNow...)
		s.start()
		client := &http.Client{Timeout: 10 * time.Second}
		for _, k := range acked {
			v, err := xmlrpcCall(client, url, "datastore.get", k)
			if err != nil || v != "v-"+k {
				t.Fatalf("round %d: acknowledged key %s lost after SIGKILL: %v %v", round, k, v, err)
			}
		}
		t.Logf("round %d: %d acknowledged writes, all present after restart", round, len(ackedNow))
	}
	s.stop()
	db, err := store.Open(context.Background(), store.Options{Dir: s.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("integrity check after kills: %v", err)
	}
}

// loadAndKill runs 16 writers until about 300 writes are acknowledged,
// then SIGKILLs the server while they are still writing.
func loadAndKill(t *testing.T, s *server, url string, round int) []string {
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("r%d-w%d-%d", round, w, i)
				v, err := xmlrpcCall(client, url, "datastore.put", k, "v-"+k)
				if err != nil {
					return // the server is gone
				}
				if v == true {
					mu.Lock()
					acked = append(acked, k)
					mu.Unlock()
				}
			}
		}(w)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.kill()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), acked...)
}
