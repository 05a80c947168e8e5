package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections leave from the loopback
// address src (all of 127.0.0.0/8 is loopback), so that the server sees
// distinct source addresses.
func clientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// whoami calls auth.whoami over REST as user:password from client; it
// returns the HTTP status and the identity the server saw.
func whoami(t *testing.T, client *http.Client, s *server, user, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/auth.whoami", s.port), strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	json.Unmarshal(body, &m)
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %s", body)
	}
	id, _ := m["identity"].(string)
	return resp.StatusCode, id
}

// TestNoAdminLockout: failed logins slow the source that fails, never the
// account. Wrong admin passwords from 127.0.0.2 throttle 127.0.0.2 (for
// admin, then for anyone), while the admin logs in at once from
// 127.0.0.3, also as 127.0.0.2 keeps failing; every throttled attempt is
// in `aula audit`, not only the 401s.
func TestNoAdminLockout(t *testing.T) {
	// The defaults: 10 failures per (source, user), 30 per source.
	s := startServer(t, "")
	s.adminURL()
	attacker, admin := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	if st, id := whoami(t, admin, s, "admin", adminPassword); st != 200 || id != "admin" {
		t.Fatalf("admin before the attack: %d %q", st, id)
	}
	statuses := map[int]int{}
	for i := 0; i < 15; i++ {
		st, _ := whoami(t, attacker, s, "admin", fmt.Sprintf("guess-%d", i))
		statuses[st]++
	}
	if statuses[401] != 10 || statuses[429] != 5 {
		t.Fatalf("15 wrong admin passwords from one source: %v, want 10 refused (401) then 5 throttled (429)", statuses)
	}
	// The right password from the throttled source waits (the throttle
	// answers before any hashing) ...
	if st, _ := whoami(t, attacker, s, "admin", adminPassword); st != 429 {
		t.Fatalf("right password from the throttled source: %d, want 429", st)
	}
	throttled := statuses[429] + 1
	// ... but from a clean source the admin is in, every time, while the
	// attacker keeps trying.
	for i := 0; i < 5; i++ {
		if st, _ := whoami(t, attacker, s, "admin", "still-guessing"); st != 429 {
			t.Fatalf("attacker attempt %d: %d, want 429", i, st)
		}
		throttled++
		if st, id := whoami(t, admin, s, "admin", adminPassword); st != 200 || id != "admin" {
			t.Fatalf("admin from a clean source during the attack (%d): %d %q", i, st, id)
		}
	}
	// The source as a whole: more failures for other user names until its
	// own budget (30) is spent; then it is throttled for any user.
	s.addUser("bob", "bob-password")
	refused := 10
	for i := 0; refused < 30; i++ {
		st, _ := whoami(t, attacker, s, fmt.Sprintf("user%d", i), "x-guess-x")
		if st != 401 {
			t.Fatalf("failure %d for user%d: %d, want 401", refused+1, i, st)
		}
		refused++
	}
	if st, _ := whoami(t, attacker, s, "bob", "bob-password"); st != 429 {
		t.Fatalf("a source past its failure budget logs in as bob: %d, want 429", st)
	}
	throttled++
	if st, id := whoami(t, admin, s, "bob", "bob-password"); st != 200 || id != "bob" {
		t.Fatalf("bob from a clean source: %d %q", st, id)
	}
	// Every refusal is in the audit trail, with its source address.
	out := mustAula(t, "", "audit", "--json", "--data-dir", s.dataDir)
	var n401, n429 int
	dec := json.NewDecoder(strings.NewReader(out)) // one JSON object per entry
	for dec.More() {
		var e map[string]any
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("aula audit --json: %v: %s", err, out)
		}
		if !strings.HasPrefix(fmt.Sprint(e["addr"]), "127.0.0.2") {
			continue
		}
		switch e["result"] {
		case "unauthenticated":
			n401++
		case "too many requests":
			n429++
		}
	}
	if n401 != refused || n429 != throttled {
		t.Fatalf("audit from 127.0.0.2: %d failed and %d throttled logins, want %d and %d:\n%s", n401, n429, refused, throttled, out)
	}
}
