package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aula/internal/store"
	"aula/internal/wire/activation"
	"aula/modules/id"
)

// journalRecord is a registration as the id module journals it (one text
// value: uid, uuid, serial, nickname, pubkey, time, peer address, one per
// line; modules/id/journal_record.go).
func journalRecord(n int, at time.Time) string {
	key := laptopKey(n)
	return strings.Join([]string{id.UIDOf(key), fmt.Sprintf("%08x-0000-4000-8000-000000000000", n),
		fmt.Sprintf("SHF%08X", n), "nick", key, at.UTC().Format("2006-01-02T15:04:05.000000Z"), "127.0.0.1"}, "\n")
}

// TestRestartWithLargeJournal leaves 10,000 acknowledged but unapplied
// registrations in the journal, as a kill -9 in the middle of a boot
// storm does, kills the server with SIGKILL, and restarts it: the
// restarted server answers HTTP and TCP 191 at once (the journal is
// applied in the background; reads replay it meanwhile), every one of the
// 10,000 is registered, and the journal is then applied. Before, the
// restart applied the journal before serving, rewrote authorized_keys
// once per registration (N² time), and above about 2,000 registrations
// deadlocked for good.
func TestRestartWithLargeJournal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server")
	}
	const n = 10_000
	actAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, "", "--activation-listen", actAddr)
	// Appended by "another process" into the running server's journal:
	// the same rows the server's own register calls append. The server
	// is killed before it could apply them.
	db, err := store.Open(context.Background(), store.Options{Dir: s.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	s.kill()
	at := time.Now()
	err = db.Write(context.Background(), func(tx *sql.Tx) error {
		st, err := tx.Prepare("INSERT INTO id_journal (rec) VALUES (?)")
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.Exec(journalRecord(i, at.Add(time.Duration(i)*time.Microsecond))); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := journalCount(t, s.dataDir); got != n {
		t.Fatalf("journal holds %d rows, want %d", got, n)
	}

	started := time.Now()
	s.start() // returns once the index page answers; fails after 30 s
	client := &http.Client{Timeout: 30 * time.Second}
	last := n - 1
	resp, err := client.Get(s.url() + "client/status?uid=" + id.UIDOf(laptopKey(last)))
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	httpAfter := time.Since(started)
	if err != nil || st["registered"] != true {
		t.Fatalf("status of a journaled laptop right after the restart: %v %v", st, err)
	}
	reply, err := activation.Ask(actAddr, []byte(fmt.Sprintf("SHF%08X", last)), 30*time.Second)
	tcpAfter := time.Since(started)
	if err != nil || len(reply) == 0 {
		t.Fatalf("TCP 191 after the restart: %q %v", reply, err)
	}
	t.Logf("restart with %d journaled registrations: first status answer after %v, first TCP 191 answer after %v (since exec)",
		n, httpAfter.Round(time.Millisecond), tcpAfter.Round(time.Millisecond))

	// All of them are registered: the CLI on the data directory reads
	// the records and the journal together, whatever the fold has done.
	out, code := aula(t, "client", "list", "--config", "", "--data-dir", s.dataDir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("\n%d registered clients\n", n)) {
		t.Fatalf("client list after the restart: exit %d, tail %q", code, tail(out, 200))
	}
	for _, i := range []int{0, 1, n / 2, n - 2} {
		resp, err := client.Get(s.url() + "client/status?uid=" + id.UIDOf(laptopKey(i)))
		if err != nil {
			t.Fatal(err)
		}
		st = nil
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st["registered"] != true {
			t.Fatalf("laptop %d not registered after the restart: %v", i, st)
		}
	}
	// The server applies the journal in the background, and still stops
	// on SIGTERM afterwards.
	waitFor(t, "the journal to be applied", func() bool { return journalCount(t, s.dataDir) == 0 })
	folded := time.Since(started)
	s.stop()
	t.Logf("journal applied %v after the restart", folded.Round(time.Millisecond))
}

// unappliedJournal counts the registrations in id_journal not applied
// yet: the rows above the fold's watermark (the journal keeps the row of
// its highest seq once applied, so that no seq is reused).
const unappliedJournal = "SELECT COUNT(*) FROM id_journal WHERE seq > (SELECT value FROM id_meta WHERE name = 'folded')"

// journalCount is how many registrations in dataDir's journal wait to be applied.
func journalCount(t *testing.T, dataDir string) int {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got int
	if err := db.Reader().QueryRow(unappliedJournal).Scan(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestClientListDuringStorm runs `aula client list` on the data directory
// while laptops register as fast as they can: each run returns with the
// list (before, the command applied the server's journal, its own event
// handler read the clients, which applied the journal again, and it
// waited on itself for ever).
func TestClientListDuringStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a registration storm")
	}
	s := startServer(t, "", "--auth-anon-rate=1000000", "--auth-anon-burst=1000000")
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := w*1_000_000 + i
				v, err := xmlrpcCall(client, s.url(), "register", fmt.Sprintf("SHF%08X", k), "nick",
					fmt.Sprintf("%08x-0000-4000-8000-000000000000", k), laptopKey(k))
				if err != nil {
					return
				}
				if m, ok := v.(map[string]any); ok && m["success"] == "OK" {
					acked.Add(1)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	waitFor(t, "the storm to start", func() bool { return acked.Load() >= 200 })
	count := regexp.MustCompile(`\n(\d+) registered clients?\n`)
	for run := range 3 {
		before := acked.Load()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, aulaBin, "client", "list", "--config", "", "--data-dir", s.dataDir)
		cmd.Env = cleanEnv()
		began := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(began)
		hung := ctx.Err() != nil
		cancel()
		if hung {
			t.Fatalf("client list run %d did not return within 2 minutes during the storm (deadlock)", run)
		}
		if err != nil {
			t.Fatalf("client list run %d: %v\n%s", run, err, tail(string(out), 500))
		}
		m := count.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("client list run %d printed no count: %s", run, tail(string(out), 300))
		}
		listed, _ := strconv.Atoi(m[1])
		if int64(listed) < before {
			t.Errorf("client list run %d listed %d clients, but %d registrations were acknowledged before it started", run, listed, before)
		}
		t.Logf("client list run %d during the storm: %d clients in %v", run, listed, took.Round(time.Millisecond))
	}
}
