package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/modules/id"
)

// mountSmallTmpfs mounts a tmpfs of size at a fresh directory (needs
// root) and unmounts it at the end of the test.
func mountSmallTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			return
		}
	}
}

// TestFullDiskKeepsReads fills the data directory's file system while the
// server runs: registrations fail with a message naming the data
// directory (not "internal error"), status reads of registered laptops and
// `aula client list` keep working, the log does not flood with the same
// error, and once space returns registering works again without a restart.
func TestFullDiskKeepsReads(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a file system")
	}
	mnt := mountSmallTmpfs(t, "24m")
	data := filepath.Join(mnt, "data")
	s := startServer(t, data, "--auth-anon-rate=0")
	client := &http.Client{Timeout: 30 * time.Second}
	register := func(i int) (map[string]any, error) {
		v, err := xmlrpcCall(client, s.url(), "register", fmt.Sprintf("SHF%08X", i), "nick",
			fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), laptopKey(i))
		m, _ := v.(map[string]any)
		return m, err
	}
	const before = 50
	for i := range before {
		if r, err := register(i); err != nil || r["success"] != "OK" {
			t.Fatalf("register %d before the disk is full: %v %v", i, r, err)
		}
	}
	// A storm keeps registering while the disk fills, so some acknowledged
	// registrations are still waiting in the journal (the fold runs when
	// registrations pause) when it is full.
	var mu sync.Mutex
	var refusal map[string]any
	acked := map[int]bool{}
	next := before
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if refusal != nil || next >= before+200_000 {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				r, err := register(i)
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("register on a full disk answered with a fault or nothing: %v", err)
					refusal = map[string]any{}
				case r["success"] == "OK":
					acked[i] = true
				case refusal == nil:
					refusal = r
				}
				mu.Unlock()
			}
		}()
	}
	waitFor(t, "the storm to start", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 100 })
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if refusal == nil {
		t.Fatal("the full disk never refused a registration")
	}
	last := 0
	for i := range acked {
		last = max(last, i)
	}
	pending := journalCount(t, data)
	msg, _ := refusal["error"].(string)
	if !strings.Contains(msg, "no space left") || !strings.Contains(msg, data) {
		t.Fatalf("registration refused on a full disk with %q, want it to say the disk holding the data directory %s has no space left", msg, data)
	}
	t.Logf("full after %d registrations, %d of them not yet applied: %q", before+len(acked), pending, msg)
	logBefore := strings.Count(s.log.String(), "\n")

	// Reads keep working, for the registrations made before and during.
	for _, i := range []int{0, before - 1, last} {
		resp, err := client.Get(s.url() + "client/status?uid=" + id.UIDOf(laptopKey(i)))
		if err != nil {
			t.Fatal(err)
		}
		var st map[string]any
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != 200 || st["registered"] != true {
			t.Fatalf("status of laptop %d on a full disk: %d %v", i, resp.StatusCode, st)
		}
	}
	out, code := aula(t, "client", "list", "--config", "", "--data-dir", data)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("\n%d registered clients\n", before+len(acked))) {
		t.Fatalf("client list on a full disk: exit %d: %s", code, tail(out, 300))
	}
	// Keep trying to write for a few seconds: the log grows by a few
	// lines, not one per attempt.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		register(next + 1)
	}
	if grew := strings.Count(s.log.String(), "\n") - logBefore; grew > 40 {
		t.Errorf("the log grew by %d lines in 3 s of refused writes:\n%s", grew, tail(s.log.String(), 3000))
	}

	// Space returns: registering works again, and what waited is applied.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a registration after space returned", func() bool {
		r, err := register(next + 2)
		return err == nil && r["success"] == "OK"
	})
	waitFor(t, "the journal to be applied", func() bool { return journalCount(t, data) == 0 })
}
