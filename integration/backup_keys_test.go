package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"aula/modules/id"
)

// keysStatus is the authorized_keys part of `aula backup status --json`.
type keysStatus struct {
	Keys struct {
		Path      string
		Installed int
		Missing   int
		Error     string
	} `json:"authorized_keys"`
}

func backupKeys(t *testing.T, dataDir string) keysStatus {
	t.Helper()
	out, code := aula(t, "backup", "status", "--json", "--config", "", "--data-dir", dataDir)
	var st keysStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("backup status: exit %d: %s", code, tail(out, 500))
	}
	return st
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// managedLines counts aula's lines in an authorized_keys file.
func managedLines(t *testing.T, path string) (int, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return -1, 0
	}
	return strings.Count(string(b), " aula:"), int64(len(b))
}

// TestBackupKeysScaleAndFailuresSurface registers 20,000 laptops: every
// key reaches authorized_keys (the file grows past the 4 MiB it used to
// stop at, about 14,500 keys), `aula client rm` takes a line out, and the
// last laptop is admitted. Then the file is made impossible to rewrite: a
// laptop registered meanwhile is told to come back later (503), never 200,
// and /readyz and `aula backup status` say why; once the file can be
// written again, all is well without a restart.
func TestBackupKeysScaleAndFailuresSurface(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 20,000 laptops")
	}
	const n = 20_000
	srv := startServer(t, "", "--id-server-name", "xs.test", "--auth-anon-rate=0",
		"--backup-max-concurrent=100", "--backup-max-grants=0",
		"--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0")
	if code, body := getStatus(t, srv.url()+"readyz"); code != 200 {
		t.Fatalf("/readyz of a fresh server: %d %s", code, body)
	}
	register := func(i int) {
		body := mustJSON(t, map[string]string{"uuid": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			"serial": fmt.Sprintf("SHF%08X", i), "pubkey": "ssh-ed25519 " + laptopKey(i)})
		resp, err := httpClient().Post(srv.url()+"client/register", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		var r struct{ Success string }
		json.NewDecoder(resp.Body).Decode(&r)
		if r.Success != "OK" {
			t.Errorf("register %d: %d %+v", i, resp.StatusCode, r)
		}
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				register(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	path := backupKeys(t, srv.dataDir).Keys.Path
	waitFor(t, "20,000 keys in authorized_keys", func() bool { c, _ := managedLines(t, path); return c == n })
	_, size := managedLines(t, path)
	st := backupKeys(t, srv.dataDir)
	if st.Keys.Installed != n || st.Keys.Missing != 0 || st.Keys.Error != "" {
		t.Fatalf("backup status with %d keys: %+v", n, st.Keys)
	}
	t.Logf("authorized_keys holds %d keys in %d bytes", n, size)
	if code, body := getStatus(t, srv.url()+fmt.Sprintf("backup/1/available/SHF%08X", n-1)); code != 200 {
		t.Fatalf("admission of laptop %d: %d %q", n-1, code, body)
	}
	if out, code := aula(t, "client", "rm", "--config", "", "--data-dir", srv.dataDir, "SHF00000001"); code != 0 {
		t.Fatalf("client rm: %d %s", code, out)
	}
	waitFor(t, "the removed laptop's line to go", func() bool {
		b, _ := os.ReadFile(path)
		return !strings.Contains(string(b), "aula:"+id.UIDOf(laptopKey(1)))
	})

	// The file cannot be rewritten: a directory stands where it was.
	if err := os.Rename(path, path+".saved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	register(n)
	code, body := getStatus(t, srv.url()+fmt.Sprintf("backup/1/available/SHF%08X", n))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "authorized_keys") {
		t.Fatalf("admission while its key cannot be installed: %d %q, want 503 naming authorized_keys", code, body)
	}
	code, body = getStatus(t, srv.url()+"readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "authorized_keys") {
		t.Fatalf("/readyz while authorized_keys cannot be written: %d %s", code, body)
	}
	t.Logf("/readyz: %s", strings.TrimSpace(body))
	if st := backupKeys(t, srv.dataDir); st.Keys.Error == "" {
		t.Fatalf("backup status shows no error: %+v", st.Keys)
	}

	// Repaired: the next rewrite (asked for by the next admission) works.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".saved", path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the admission once the file can be written", func() bool {
		code, _ := getStatus(t, srv.url()+fmt.Sprintf("backup/1/available/SHF%08X", n))
		return code == 200
	})
	if code, body := getStatus(t, srv.url()+"readyz"); code != 200 {
		t.Fatalf("/readyz after the repair: %d %s", code, body)
	}
	if st := backupKeys(t, srv.dataDir); st.Keys.Error != "" || st.Keys.Missing != 0 {
		t.Fatalf("backup status after the repair: %+v", st.Keys)
	}
}
