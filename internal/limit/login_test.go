package limit

import (
	"net/netip"
	"testing"
	"time"
)

func TestLoginThrottle(t *testing.T) {
	clk := newFake()
	th := NewLoginThrottle(LoginConfig{
		PerSource:     Config{Burst: 5, Every: 10 * time.Second, Now: clk.Now},
		PerSourceUser: Config{Burst: 3, Every: time.Minute, Now: clk.Now},
	})
	a := netip.MustParseAddr("10.0.0.1")
	b := netip.MustParseAddr("10.0.0.2")
	for range 3 {
		if ok, _ := th.Check(a, "ana"); !ok {
			t.Fatal("refused before any failure")
		}
		th.Failed(a, "ana")
	}
	if ok, wait := th.Check(a, "ana"); ok || wait != time.Minute {
		t.Fatalf("(source, user) not throttled after 3 failures: %v %v", ok, wait)
	}
	if ok, _ := th.Check(b, "ana"); !ok {
		t.Fatal("the user is locked out from a source that never failed")
	}
	if ok, _ := th.Check(a, "bob"); !ok {
		t.Fatal("source a locked after 3 failures (burst 5)")
	}
	th.Failed(a, "bob")
	th.Failed(a, "carl")
	if ok, wait := th.Check(a, "dora"); ok || wait != 10*time.Second {
		t.Fatalf("source not locked after 5 failures: %v %v", ok, wait)
	}
	if ok, _ := th.Check(b, "dora"); !ok {
		t.Fatal("source lock spilled onto another source")
	}
	th.Failed(b, "ana")
	th.Succeeded(b, "ana")
	if ok, _ := th.Check(b, "ana"); !ok {
		t.Fatal("Succeeded did not clear the pair's failures")
	}
	if ok, _ := th.Check(a, "ana"); ok {
		t.Fatal("a success from b cleared a's failures")
	}
	clk.Advance(10 * time.Second)
	if ok, _ := th.Check(a, "dora"); !ok {
		t.Fatal("source still locked after a token was earned back")
	}
}

func TestLoginThrottleIPv6Per64(t *testing.T) {
	clk := newFake()
	th := NewLoginThrottle(LoginConfig{
		PerSource:     Config{Burst: 2, Every: time.Hour, Now: clk.Now},
		PerSourceUser: Config{Burst: 100, Every: time.Hour, Now: clk.Now},
	})
	th.Failed(netip.MustParseAddr("2001:db8:1:2::1"), "")
	th.Failed(netip.MustParseAddr("2001:db8:1:2:ffff::9"), "")
	if ok, _ := th.Check(netip.MustParseAddr("2001:db8:1:2::abcd"), ""); ok {
		t.Fatal("other address in the same /64 not throttled")
	}
	if ok, _ := th.Check(netip.MustParseAddr("2001:db8:1:3::1"), ""); !ok {
		t.Fatal("neighbouring /64 throttled")
	}
	th.Failed(netip.MustParseAddr("::ffff:192.0.2.1"), "")
	th.Failed(netip.MustParseAddr("192.0.2.1"), "")
	if ok, _ := th.Check(netip.MustParseAddr("192.0.2.1"), ""); ok {
		t.Fatal("IPv4-mapped and plain IPv4 counted apart")
	}
}

func TestSourceKey(t *testing.T) {
	tests := map[string]string{
		"10.1.2.3":              "10.1.2.3",
		"::ffff:10.1.2.3":       "10.1.2.3",
		"2001:db8::1":           "2001:db8::/64",
		"fe80::1%eth0":          "fe80::/64",
		"2001:db8:a:b:c:d:e:f0": "2001:db8:a:b::/64",
	}
	for in, want := range tests {
		if got := sourceKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("sourceKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := sourceKey(netip.Addr{}); got != "unknown" {
		t.Errorf("sourceKey(zero) = %s", got)
	}
}
