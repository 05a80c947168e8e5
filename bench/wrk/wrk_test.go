package wrk

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"aula/bench/laptop"
)

// A report as wrk 4.1 prints it with --latency.
const report = `Running 1s test @ http://127.0.0.1:8080/RPC2
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.21ms    2.05ms  41.30ms   88.12%
    Req/Sec     7.90k   512.33     8.80k    70.00%
  Latency Distribution
     50%    2.80ms
     75%    3.90ms
     90%    5.10ms
     99%  850.00us
  15720 requests in 1.00s, 3.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  15712.34
Transfer/sec:      3.10MB
`

func TestParseReadsTheReport(t *testing.T) {
	r, err := Parse(report)
	if err != nil {
		t.Fatal(err)
	}
	if r.Calls != 15720-7 || r.Errors != 7 || r.Elapsed != time.Second {
		t.Errorf("calls %d errors %d elapsed %v", r.Calls, r.Errors, r.Elapsed)
	}
	if r.P50 != 2800*time.Microsecond || r.P90 != 5100*time.Microsecond || r.P99 != 850*time.Microsecond || r.Max != 41300*time.Microsecond {
		t.Errorf("latencies %v %v %v %v", r.P50, r.P90, r.P99, r.Max)
	}
	if len(r.ErrorSamples) != 2 {
		t.Errorf("error samples %q", r.ErrorSamples)
	}
}

// A report without what is needed is refused, saying what is missing.
func TestParseRefusesAnIncompleteReport(t *testing.T) {
	for _, bad := range []string{"", "Running 1s test\n  15720 requests in 1.00s, 3.10MB read\n", "  1 requests in 1.00x, 1MB read\n"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
}

// TestRegisterLoadSendsEachLaptopOnce runs wrk with the register script
// against a server that checks every body: each is a whole register call
// of a laptop in the round, byte for byte as laptop.Register makes it, and
// no laptop is sent twice.
func TestRegisterLoadSendsEachLaptopOnce(t *testing.T) {
	if !Available() {
		t.Fatal("wrk is not on PATH (scripts/deps.sh installs it)")
	}
	const first, perRound = 1 << 20, 100_000
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		n, ok := laptopOf(body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil || r.Method != "POST" || r.URL.Path != "/RPC2" || r.Header.Get("Content-Type") != "text/xml":
			bad = append(bad, fmt.Sprintf("%s %s %q: %v", r.Method, r.URL.Path, r.Header.Get("Content-Type"), err))
		case !ok:
			bad = append(bad, fmt.Sprintf("not a bench laptop's call: %.80q", body))
		case seen[n]:
			bad = append(bad, fmt.Sprintf("laptop %d sent twice", n))
		}
		seen[n] = true
	}))
	defer srv.Close()
	load := &RegisterLoad{Load: Load{URL: srv.URL + "/RPC2", Conns: 4, Duration: time.Second},
		Dir: t.TempDir(), Next: first, PerRound: perRound}
	r, err := load.Run()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("%d bad requests, first: %s", len(bad), bad[0])
	}
	if r.Calls == 0 || int64(len(seen)) < r.Calls {
		t.Fatalf("wrk counted %d calls, the server saw %d laptops", r.Calls, len(seen))
	}
	even, odd := false, false
	for n := range seen {
		if n < first || n >= first+perRound {
			t.Fatalf("laptop %d is not in the round [%d, %d)", n, first, first+perRound)
		}
		even, odd = even || n%2 == 0, odd || n%2 == 1
	}
	if !even || !odd {
		t.Fatalf("both threads' laptops expected (even %v, odd %v)", even, odd)
	}
	if load.Next != first+perRound {
		t.Fatalf("Next = %d, want %d", load.Next, first+perRound)
	}
}

// laptopOf finds which bench laptop made body: the number in its nickname
// ("bench N"), accepted only if the whole body is that laptop's call.
func laptopOf(body []byte) (uint64, bool) {
	_, rest, ok := bytes.Cut(body, []byte("<string>bench "))
	if !ok {
		return 0, false
	}
	digits, _, ok := bytes.Cut(rest, []byte("<"))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, false
	}
	want, _ := laptop.Register(n)
	return n, bytes.Equal(body, want)
}
