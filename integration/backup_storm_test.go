package integration

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestBackupAdmissionStorm: at boot hundreds of laptops ask to back up at
// once, through all three forms; no more than --backup-max-concurrent are
// told yes, everyone else is told to come back later (never an error),
// and the slots the server holds match the yeses. Unknown and malformed
// clients are refused.
func TestBackupAdmissionStorm(t *testing.T) {
	const maxSlots, nClients, asks = 4, 120, 480
	// Real laptops ask from as many addresses; here all share 127.0.0.1,
	// so the per-address limit on anonymous calls is off.
	srv := startServer(t, "", "--id-server-name", "xs.test", "--backup-max-concurrent=4", "--backup-max-grants=0",
		"--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0", "--auth-anon-rate=0")
	type laptop struct{ uid, serial string }
	laptops := make([]laptop, nClients)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range laptops {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			serial := fmt.Sprintf("SHF%08d", i+1) // SHF00000000 is the placeholder, which admits no laptop
			body := mustJSON(t, map[string]string{"uuid": fmt.Sprintf("8bf9ac40-26f8-4bcc-a699-%012d", i),
				"serial": serial, "nickname": "nena", "pubkey": "ssh-ed25519 " + edBlob(t)})
			resp, err := httpClient().Post(srv.url()+"client/register", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var r struct{ Success, UID string }
			json.NewDecoder(resp.Body).Decode(&r)
			if r.Success != "OK" || len(r.UID) != 40 {
				t.Errorf("register %d: %d %+v", i, resp.StatusCode, r)
			}
			laptops[i] = laptop{r.UID, serial}
		}(i)
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var mu sync.Mutex
	yes := map[string]bool{}
	statuses := map[int]int{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for i := 0; i < asks; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l := laptops[i%nClients]
			var u string
			switch i % 3 {
			case 0:
				u = srv.url() + "backup/1/available/" + l.serial
			case 1:
				u = srv.url() + "backup/uuid/available/" + l.uid
			default:
				u = srv.url() + "client/backup?uuid=" + l.uid
			}
			resp, err := client.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			ok := resp.StatusCode == 200 && (i%3 != 2 && buf.Len() == 0 || strings.Contains(buf.String(), `"accepted":true`))
			later := resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "" ||
				resp.StatusCode == 200 && strings.Contains(buf.String(), `"accepted":false`)
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			switch {
			case ok:
				yes[l.uid] = true
			case !later:
				t.Errorf("%s: %d %q", u, resp.StatusCode, buf.String())
			}
		}(i)
	}
	wg.Wait()
	t.Logf("%d asks from %d clients: statuses %v, %d clients admitted", asks, nClients, statuses, len(yes))
	if len(yes) == 0 || len(yes) > maxSlots {
		t.Fatalf("%d clients admitted, want 1 to %d", len(yes), maxSlots)
	}
	out, code := aula(t, "backup", "status", "--json", "--data-dir", srv.dataDir)
	var st backupStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("backup status: %d %s", code, out)
	}
	if len(st.Slots) != len(yes) {
		t.Fatalf("%d slots held for %d admitted clients: %+v", len(st.Slots), len(yes), st.Slots)
	}
	for _, s := range st.Slots {
		if !yes[s.UID] || s.State != "granted" {
			t.Fatalf("slot %+v for a client never told yes", s)
		}
	}

	// Unknown and malformed clients.
	for _, c := range []struct {
		path string
		want int
	}{
		{"backup/1/available/SHF99999999", 403},
		{"backup/uuid/available/" + strings.Repeat("0", 40), 403},
		{"backup/uuid/available/00000000-0000-0000-0000-000000000000", 403},
		{"backup/1/available/", 403},
		{"backup/1/available/SHF00000001/x", 403},
		{"backup/1/available/%2e%2e%2fetc", 403},
		{"backup/uuid/available/" + strings.Repeat("a", 100), 403},
		{"client/backup?uuid=" + strings.Repeat("0", 40), 403},
		{"client/backup", 400},
		{"client/backup?uuid=a;b", 400},
		{"client/backup?uuid=" + laptops[0].uid + "&serial=" + laptops[0].serial, 400},
	} {
		if code, _, body := bkGet(t, srv.url()+c.path); code != c.want {
			t.Errorf("%s: %d %q, want %d", c.path, code, body, c.want)
		}
	}
}

// edBlob is a fresh ed25519 public key blob, base64.
func edBlob(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sp.Marshal())
}
