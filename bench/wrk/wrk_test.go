package wrk

import (
	"testing"
	"time"
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
