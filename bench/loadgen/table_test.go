package loadgen

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func sampleTable() *Table {
	second := time.Second
	t := &Table{Title: "xmlrpc"}
	t.Add(Row{Name: "bare net/http", Result: Result{Calls: 20000, Elapsed: second, P50: 90 * time.Microsecond, P99: 1200 * time.Microsecond}})
	t.Add(Row{Name: "echo", Ref: "bare net/http", Goal: 0.5,
		Result: Result{Calls: 12000, Elapsed: second, P50: 150 * time.Microsecond, P99: 2 * time.Millisecond}})
	t.Add(Row{Name: "login", Ref: "bare net/http", Goal: 0.5,
		Result: Result{Calls: 4000, Elapsed: second, Errors: 2, ErrorSamples: []string{"status 500, want 200"}}})
	t.Add(Row{Name: "orphan", Ref: "missing", Result: Result{Calls: 1, Elapsed: second}})
	return t
}

func TestTablePrint(t *testing.T) {
	var b strings.Builder
	if err := sampleTable().Print(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	t.Log("\n" + got)
	want := `xmlrpc
benchmark      calls/s     p50     p99  errors          vs ref  goal
bare net/http    20000  90.0µs  1.20ms       0               -
echo             12000   150µs  2.00ms       0             60%  >= 50%: met
login             4000       0       0       2             20%  >= 50%: missed
orphan               1       0       0       0  ? (no missing)
  login: error: status 500, want 200
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sampleTable().Markdown(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"### xmlrpc\n\n",
		fmt.Sprintf(", nproc %d, %s ", runtime.NumCPU(), runtime.Version()),
		time.Now().Format("2006-01-02"),
		"| benchmark | calls/s | p50 | p99 | errors | vs ref | goal |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
		"| echo | 12000 | 150µs | 2.00ms | 0 | 60% | >= 50%: met |\n",
		"| login | 4000 | 0 | 0 | 2 | 20% | >= 50%: missed |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
}

func TestTableWithoutGoalsHasNoGoalColumn(t *testing.T) {
	tb := Table{Rows: []Row{{Name: "a", Result: Result{Calls: 1, Elapsed: time.Second}}}}
	var b strings.Builder
	tb.Print(&b)
	if strings.Contains(b.String(), "goal") {
		t.Fatalf("goal column without goals:\n%s", b.String())
	}
}

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 500: "500ns", 87300: "87.3µs", 1250 * time.Microsecond: "1.25ms",
		123456 * time.Microsecond: "123ms", 2500 * time.Millisecond: "2.50s",
	} {
		if got := FormatLatency(d); got != want {
			t.Errorf("FormatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}
