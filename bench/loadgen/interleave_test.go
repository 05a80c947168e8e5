package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeLoad returns canned results and records the order it was run in.
type fakeLoad struct {
	name  string
	order *[]string
	lat   time.Duration
}

func (f fakeLoad) Run() (Result, error) {
	*f.order = append(*f.order, f.name)
	var t tally
	t.ok(f.lat)
	t.ok(f.lat)
	if f.name == "b" {
		t.fail(errors.New("b failed"))
	}
	return summarize([]*tally{&t}, 100*time.Millisecond), nil
}

func TestInterleaveAlternatesAndSums(t *testing.T) {
	var order []string
	a := fakeLoad{"a", &order, time.Millisecond}
	b := fakeLoad{"b", &order, 3 * time.Millisecond}
	res, err := Interleave(3, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "a b b a a b" {
		t.Fatalf("order %q", got)
	}
	if res[0].Calls != 6 || res[0].Errors != 0 || res[0].Elapsed != 300*time.Millisecond {
		t.Fatalf("a: %v", res[0])
	}
	if res[1].Calls != 6 || res[1].Errors != 3 || len(res[1].ErrorSamples) != 1 {
		t.Fatalf("b: %v", res[1])
	}
	if res[1].P50 < 3*time.Millisecond || res[1].P50 > res[1].Max || res[1].Max != 3*time.Millisecond {
		t.Fatalf("b latencies: %v", res[1])
	}
}

func TestInterleaveReportsConfigErrors(t *testing.T) {
	if _, err := Interleave(2, HTTPLoad{Addr: "10.1.1.1:80", Request: []byte("x")}); err == nil {
		t.Fatal("want the load's configuration error")
	}
}
